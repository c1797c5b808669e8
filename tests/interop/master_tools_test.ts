// Real programs through a master of each kind, installed from Debian by scripts/setup.sh: rsync
// (push and pull of a tree), git (clone and push over GIT_SSH_COMMAND), each with the stock ssh
// and sshmux as the client; and Net::OpenSSH with ssh_cmd = the master's program, which starts
// and watches its own master (`-2MNx -S ctl host --`, pid checked against `-O check`). Results
// are compared byte for byte.
import { assertEquals } from "@std/assert";
import {
  type ClientKind,
  clientProgram,
  type MasterKind,
  masterProgram,
  masterTest,
  pathExists,
  processAlive,
  q,
  startMaster,
  startMasterSshd,
} from "../helpers/master.ts";
import { run, sh, waitFor } from "../helpers/run.ts";
import type { Sshd } from "../helpers/sshd.ts";

const CLIENTS: ClientKind[] = ["ssh", "sshmux"];

/** A tree with nested dirs, binary and empty files, a symlink and an executable. */
async function makeTree(root: string): Promise<void> {
  const r = await sh([
    `mkdir -p ${root}/a/b/c ${root}/empty-dir`,
    `head -c 3000000 /dev/urandom > ${root}/big.bin`,
    `head -c 70000 /dev/urandom > ${root}/a/b/c/deep.bin`,
    `printf 'line one\\nline two\\n' > ${root}/a/text.txt`,
    `: > ${root}/a/b/empty`,
    `printf '#!/bin/sh\\necho hi\\n' > ${root}/a/run.sh && chmod 755 ${root}/a/run.sh`,
    `ln -s a/text.txt ${root}/link`,
    `for i in $(seq 1 40); do echo "file $i" > ${root}/a/b/f$i; done`,
  ].join(" && "));
  assertEquals(r.code, 0, r.err);
}

/** `diff -r` plus modes and symlink targets (what rsync -a promises). */
async function sameTree(a: string, b: string): Promise<void> {
  const d = await run("diff", ["-r", "--no-dereference", a, b]);
  assertEquals(d.code, 0, `diff -r ${a} ${b}:\n${d.out}${d.err}`);
  const listing = (root: string) =>
    sh(`cd ${q(root)} && find . -printf '%p %y %m %s %l\\n' | sort`).then((r) => r.out);
  assertEquals(await listing(b), await listing(a), "types, modes, sizes and link targets");
}

masterTest("rsync, git and Net::OpenSSH through the master", async (kind, t) => {
  for (const tool of ["rsync", "git", "perl", "scp"]) {
    const r = await run("sh", ["-c", `command -v ${tool}`]);
    assertEquals(r.code, 0, `${tool} is not installed: run scripts/setup.sh`);
  }
  const sshd = await startMasterSshd();
  try {
    await toolSteps(kind, t, sshd);
  } finally {
    await sshd.stop();
  }
});

async function toolSteps(kind: MasterKind, t: Deno.TestContext, sshd: Sshd): Promise<void> {
  const master = await startMaster(kind, sshd);
  const dir = sshd.dir;
  const src = `${dir}/src-tree`;
  await makeTree(src);
  try {
    for (const client of CLIENTS) {
      const e = `${clientProgram(client)} -F ${sshd.config} -S ${master.ctl}`;

      await t.step(`[${client}] rsync -a -e: push and pull a tree`, async () => {
        const pushed = `${dir}/pushed-${client}`;
        const pulled = `${dir}/pulled-${client}`;
        const push = await run("rsync", ["-a", "-e", e, `${src}/`, `x:${pushed}/`], {
          timeoutMs: 120_000,
        });
        assertEquals(push.code, 0, push.err);
        await sameTree(src, pushed);
        const pull = await run("rsync", ["-a", "-e", e, `x:${pushed}/`, `${pulled}/`], {
          timeoutMs: 120_000,
        });
        assertEquals(pull.code, 0, pull.err);
        await sameTree(src, pulled);
        // A second push of a changed file sends only the change, and still matches.
        Deno.writeTextFileSync(`${src}/a/text.txt`, `changed by ${client}\n`);
        const again = await run("rsync", ["-a", "-e", e, `${src}/`, `x:${pushed}/`]);
        assertEquals(again.code, 0, again.err);
        await sameTree(src, pushed);
      });

      await t.step(`[${client}] git clone and push over GIT_SSH_COMMAND`, async () => {
        const bare = `${dir}/repo-${client}.git`;
        const env = {
          GIT_SSH_COMMAND: e,
          GIT_CONFIG_GLOBAL: "/dev/null",
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_AUTHOR_NAME: "t",
          GIT_AUTHOR_EMAIL: "t@example.invalid",
          GIT_COMMITTER_NAME: "t",
          GIT_COMMITTER_EMAIL: "t@example.invalid",
        };
        const git = async (args: string[], cwd?: string) => {
          const r = await run("git", args, { env, cwd, timeoutMs: 120_000 });
          assertEquals(r.code, 0, `git ${args.join(" ")}: ${r.err}`);
          return r;
        };
        await git(["init", "-q", "--bare", "-b", "main", bare]);
        const work = `${dir}/work-${client}`;
        await git(["clone", "-q", `x:${bare}`, work]);
        Deno.copyFileSync(`${src}/big.bin`, `${work}/big.bin`);
        Deno.writeTextFileSync(`${work}/readme`, `pushed by ${client}\n`);
        await git(["add", "."], work);
        await git(["commit", "-q", "-m", "first"], work);
        await git(["push", "-q", "origin", "HEAD:main"], work);
        const local = (await git(["rev-parse", "HEAD"], work)).out;
        const remote = (await git(["--git-dir", bare, "rev-parse", "main"])).out;
        assertEquals(remote, local, "the bare repository has the pushed commit");
        const again = `${dir}/again-${client}`;
        await git(["clone", "-q", "-b", "main", `x:${bare}`, again]);
        assertEquals((await run("cmp", [`${src}/big.bin`, `${again}/big.bin`])).code, 0);
        assertEquals(Deno.readTextFileSync(`${again}/readme`), `pushed by ${client}\n`);
        // fetch of a second commit
        Deno.writeTextFileSync(`${work}/readme`, "second\n");
        await git(["commit", "-q", "-am", "second"], work);
        await git(["push", "-q", "origin", "HEAD:main"], work);
        await git(["pull", "-q", "--ff-only"], again);
        assertEquals(Deno.readTextFileSync(`${again}/readme`), "second\n");
      });
    }
  } finally {
    await master.stop();
  }

  await t.step("Net::OpenSSH with ssh_cmd = the master's program", async () => {
    const ctl = `${dir}/netssh-ctl`;
    const data = `${src}/big.bin`;
    const script = `
use strict;
use warnings;
use Net::OpenSSH;
my ($cmd, $cfg, $ctl, $dir, $data) = @ARGV;
my $ssh = Net::OpenSSH->new('x', ssh_cmd => $cmd, scp_cmd => 'scp', ctl_path => $ctl,
    master_opts => ['-F', $cfg], default_ssh_opts => ['-F', $cfg], batch_mode => 1,
    timeout => 90, kill_ssh_on_timeout => 1);
$ssh->error and die "master: " . $ssh->error . "\\n";
print "master_pid=", $ssh->get_master_pid, "\\n";
my $out = $ssh->capture("printf 'one\\\\ntwo\\\\n'; printf err >&2");
$ssh->error and die "capture: " . $ssh->error . "\\n";
print "capture=[$out]\\n";
my $bin = $ssh->capture("cat $data");
open(my $fh, '>:raw', "$dir/netssh-capture.bin") or die; print $fh $bin; close $fh;
open(my $in, '<:raw', $data) or die; local $/; my $stdin = <$in>; close $in;
$ssh->system({stdin_data => $stdin}, "cat > $dir/netssh-system.bin")
  or die "system: " . $ssh->error . "\\n";
$ssh->system("exit 3");
print "status=", $? >> 8, "\\n";
$ssh->scp_put($data, "$dir/netssh-put.bin") or die "scp_put: " . $ssh->error . "\\n";
$ssh->scp_get("$dir/netssh-put.bin", "$dir/netssh-get.bin") or die "scp_get: " . $ssh->error . "\\n";
undef $ssh;  # stops the master (-O exit, then waits for it)
print "done\\n";
`;
    const r = await run(
      "perl",
      ["-e", script, masterProgram(kind), sshd.config, ctl, dir, data],
      { timeoutMs: 180_000 },
    );
    assertEquals(r.code, 0, `${r.out}${r.err}`);
    const pid = parseInt(r.out.match(/master_pid=(\d+)/)?.[1] ?? "0", 10);
    assertEquals(
      r.out.replace(/master_pid=\d+/, "master_pid=N"),
      "master_pid=N\ncapture=[one\ntwo\n]\nstatus=3\ndone\n",
    );
    for (const f of ["capture", "system", "put", "get"]) {
      assertEquals((await run("cmp", [data, `${dir}/netssh-${f}.bin`])).code, 0, f);
    }
    await waitFor("Net::OpenSSH's master gone", () => !processAlive(pid));
    assertEquals(pathExists(ctl), false, "its socket removed");
  });
}
