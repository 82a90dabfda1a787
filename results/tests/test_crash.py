#!/usr/bin/env python3
"""A crash mid-sweep loses at most the case in flight, or with --interleave the round in flight.

Starts `sorabench run` on the tiny model, waits until a few cases are stored,
then kills it with SIGKILL: the database must pass an integrity check, every
stored case must have all its samples, and the run stays marked 'running'.
An interleaved group killed mid-way keeps every round stored before the kill.
With SIGTERM or SIGINT the run stops after the round of repetitions in flight,
stores what it measured, is marked 'interrupted' and exits 130. `run --resume`
adds the cases a killed run lacks, leaving the stored ones as they are (and
`merge` then adds them to a database the killed run was merged into), and
refuses another sweep, host, build or environment without touching the file.
Usage: test_crash.py PATH/TO/sorabench
"""
import hashlib
import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

BIN = None
SLOW = ["run", "--model", "tiny", "--res", "144p", "--dur", "2s", "--reps", "10",
        "--min-time", "0.03", "--warmup", "0", "--threads", "1", "--quiet"]


def wait_for(p, db, sql, what):
    """Poll db until sql gives a value >= 1, while p (the sweep) runs; fail if it ends first."""
    deadline = time.time() + 120
    while True:
        if p.poll() is not None or time.time() > deadline:
            p.kill()
            raise AssertionError(f"sweep ended or stalled before {what}: {p.stderr.read()}")
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            row = con.execute(sql).fetchone()  # None: no row yet (HAVING)
            con.close()
            if row and row[0] is not None and row[0] >= 1:
                return
        except sqlite3.Error:  # not created yet, or being created
            pass
        time.sleep(0.05)


def start_and_wait(db, n, *extra):
    p = subprocess.Popen([*BIN, *SLOW, *extra, "--db", db], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    wait_for(p, db, f"SELECT count(*) >= {n} FROM \"case\"", f"{n} cases")
    return p


class Crash(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.tmp.name, "crash.db")

    def tearDown(self):
        self.tmp.cleanup()

    def check_intact(self):
        con = sqlite3.connect(self.db)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        self.assertEqual(con.execute("PRAGMA foreign_key_check").fetchall(), [])
        cases = con.execute("SELECT c.case_id, c.reps, (SELECT count(*) FROM sample s"
                            " WHERE s.case_id = c.case_id) FROM \"case\" c").fetchall()
        for case_id, reps, samples in cases:
            self.assertEqual(samples, reps, f"case {case_id} lost samples")
        status = con.execute("SELECT status FROM run").fetchall()
        con.close()
        return len(cases), status

    def test_sigkill_mid_sweep(self):
        p = start_and_wait(self.db, 3)
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        n, status = self.check_intact()
        self.assertGreaterEqual(n, 3)
        self.assertLess(n, 40)                      # it really was mid-sweep
        self.assertEqual(status, [("running",)])    # never finished, and says so
        rep = subprocess.run([*BIN, "report", "--db", self.db], capture_output=True, text=True)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertIn("did not finish", rep.stdout)
        # the database takes new runs afterwards
        more = subprocess.run([*BIN, *SLOW, "--layers", "final", "--db", self.db],
                              capture_output=True, text=True)
        self.assertEqual(more.returncode, 0, more.stderr)

    def cases_and_samples(self):
        con = sqlite3.connect(self.db)
        rows = con.execute("SELECT c.case_id, c.case_key, c.kernel_choice, c.reps, group_concat(s.ns)"
                           " FROM \"case\" c JOIN sample s USING (case_id) GROUP BY c.case_id"
                           " ORDER BY c.case_id").fetchall()
        con.close()
        return rows

    def resume(self, *extra):
        return subprocess.run([*BIN, "run", "--resume", "latest", "--db", self.db, "--quiet", *extra],
                              capture_output=True, text=True)

    def test_resume_after_sigkill(self):
        p = start_and_wait(self.db, 2, "--layers", "spatial.mlp")  # 4 cases
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        before = self.cases_and_samples()
        merged = os.path.join(self.tmp.name, "merged.db")  # merged before the resume
        m = subprocess.run([*BIN, "merge", "-o", merged, self.db], capture_output=True, text=True)
        self.assertEqual(m.returncode, 0, m.stderr)
        r = self.resume()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"resuming: {len(before)} of them stored (0 cut short", r.stderr)
        n, status = self.check_intact()
        self.assertEqual(status, [("done",)])
        self.assertEqual(n, 4)                        # the whole sweep, one run
        after = self.cases_and_samples()
        self.assertEqual(after[:len(before)], before)  # what was stored is untouched
        self.assertEqual(len({(k, ch) for _, k, ch, _, _ in after}), 4)
        # merging the resumed run again adds the cases it gained and its end, nothing else
        for again in (False, True):
            m = subprocess.run([*BIN, "merge", "-o", merged, self.db], capture_output=True,
                               text=True)
            self.assertEqual(m.returncode, 0, m.stderr)
            gained = 0 if again else 4 - len(before)
            self.assertIn(f"0 run(s), {gained} case(s), 0 check(s) merged; 1 run(s) already in "
                          f"{merged} ({int(gained > 0)} given new cases, {int(not again)} a later"
                          " end)", m.stderr)
        reports = [subprocess.run([*BIN, "report", "--db", db, "--format", "json"],
                                  capture_output=True, text=True) for db in (self.db, merged)]
        self.assertEqual(reports[0].returncode, 0, reports[0].stderr)
        self.assertEqual(reports[1].stdout, reports[0].stdout)   # its 4 cases, run 'done'
        con = sqlite3.connect(merged)
        self.assertEqual(con.execute("SELECT count(*), sum(reps) FROM \"case\"").fetchone(),
                         (4, sum(reps for _, _, _, reps, _ in after)))
        con.close()
        r = self.resume()
        self.assertEqual(r.returncode, 2)
        self.assertIn("is done", r.stderr)

    def test_resume_refused(self):
        """Another sweep, or another host, build or environment, is refused; the file is kept."""
        p = start_and_wait(self.db, 1, "--layers", "spatial.mlp")
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        r = self.resume("--threads", "2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("give only --db, --format and --quiet", r.stderr)
        r = subprocess.run([*BIN, "run", "--resume", "latest", "--db", self.db], capture_output=True,
                           text=True, env=dict(os.environ, OMP_WAIT_POLICY="passive"))
        self.assertEqual(r.returncode, 2)
        self.assertIn('the environment differs: OMP_WAIT_POLICY was absent, is "passive" now', r.stderr)
        con = sqlite3.connect(self.db)
        con.execute("UPDATE host SET record = json_set(record, '$.thp', 'never-was')")
        con.commit()
        # the file's bytes are all of it: no frame left in the WAL for the next opener to fold in
        self.assertEqual(con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0], 0)
        con.close()
        with open(self.db, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        r = self.resume()
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r'cannot resume run [0-9a-f]{8}: the host differs: thp was "never-was"')
        with open(self.db, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), digest)
        r = subprocess.run([*BIN, "run", "--resume", "latest", "--db", self.db + ".none"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(self.db + ".none"))

    def test_sigterm_stops_after_round(self):
        p = start_and_wait(self.db, 2)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("interrupted", err)
        n, status = self.check_intact()
        self.assertEqual(status, [("interrupted",)])

    LONG = ["run", "--model", "tiny", "--res", "144p", "--dur", "2s", "--reps", "5000",
            "--min-time", "0.002", "--warmup", "0", "--threads", "1", "--layers",
            "spatial.mlp.fc1", "--kernel", "auto,linear.f32.ref", "--no-accuracy", "--quiet"]

    def stored_reps(self):
        con = sqlite3.connect(self.db)
        reps = [r[0] for r in con.execute("SELECT reps FROM \"case\" ORDER BY case_id")]
        last = [r[0] for r in con.execute("SELECT max(rep) + 1 - count(*) FROM sample GROUP BY case_id")]
        con.close()
        self.assertEqual(set(last), {0})  # repetitions 0 .. reps - 1, none missing
        return reps

    def test_sigkill_mid_interleaved_group(self):
        # the group's cases are stored round by round: a kill keeps every finished round
        p = subprocess.Popen([*BIN, *self.LONG, "--interleave", "--db", self.db],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(p, self.db, "SELECT min(reps) - 1 FROM \"case\" HAVING count(*) = 2",
                      "two rounds of both cases")
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stderr.close()
        n, status = self.check_intact()
        self.assertEqual(status, [("running",)])
        reps = self.stored_reps()
        self.assertEqual(len(reps), 2)
        self.assertGreaterEqual(min(reps), 2)
        self.assertLess(max(reps), 5000)              # it really was mid-group
        self.assertLessEqual(max(reps) - min(reps), 1)  # only the round in flight differs
        # resuming keeps the group's cut cases as they are, and ends the run
        before = self.cases_and_samples()
        r = self.resume()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("resuming: 2 of them stored (2 cut short by a stop, kept as they are);"
                      " measuring the other 0", r.stderr)
        self.assertEqual(self.cases_and_samples(), before)
        self.assertEqual(self.check_intact()[1], [("done",)])

    def test_sigint_stores_the_round_in_flight(self):
        for extra in (["--interleave"], []):
            with self.subTest(extra=extra):
                self.tearDown()
                self.setUp()
                p = subprocess.Popen([*BIN, *self.LONG, *extra, "--db", self.db],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                if extra:
                    wait_for(p, self.db, "SELECT min(reps) FROM \"case\" HAVING count(*) = 2",
                                  "a round of both cases")
                else:  # one case stores at its end: wait for the run, then for its handlers
                    wait_for(p, self.db, "SELECT count(*) FROM run", "the run row")
                    time.sleep(1)
                p.send_signal(signal.SIGINT)
                _, err = p.communicate(timeout=120)
                self.assertEqual(p.returncode, 130, err)
                n, status = self.check_intact()
                self.assertEqual(status, [("interrupted",)])
                reps = self.stored_reps()
                self.assertEqual(len(reps), 2 if extra else 1, err)
                self.assertEqual(len(set(reps)), 1)   # the round ends in every case of the group
                self.assertTrue(1 <= reps[0] < 5000, reps)
                self.assertIn(f"with {reps[0]} of 5000 repetitions", err)
                # report says each case was cut short, and over how many repetitions its median is
                rep = subprocess.run([*BIN, "report", "--db", self.db, "--format", "json"],
                                     capture_output=True, text=True)
                self.assertEqual(rep.returncode, 0, rep.stderr)
                out = json.loads(rep.stdout)
                self.assertEqual([r["reps"] for r in out["rows"]], reps)
                self.assertIn(f"{len(reps)} case(s) have fewer repetitions than the 5000 asked",
                              "\n".join(out["notes"]))


if __name__ == "__main__":
    # a cross build runs the binary through its emulator (SB_EXE_WRAPPER, from the cross file)
    BIN = [*shlex.split(os.environ.get("SB_EXE_WRAPPER", "")), os.path.abspath(sys.argv.pop(1))]
    unittest.main(verbosity=2)
