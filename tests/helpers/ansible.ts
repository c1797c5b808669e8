// Runs one Ansible playbook (ping, command, copy, fetch) against the test sshd and checks its
// results byte for byte. Used by tests/interop/master_ansible*_test.ts.
import { assertEquals } from "@std/assert";
import { run } from "./run.ts";
import { logins, type Sshd } from "./sshd.ts";

const PLAYBOOK = (dir: string) => `
- hosts: all
  gather_facts: false
  tasks:
    - ping:
    - command: printf 'hello\\n%s' "from ansible"
      register: out
    - copy: { content: "{{ out.stdout }}", dest: ${dir}/command.out }
      delegate_to: localhost
    - copy: { src: ${dir}/payload.bin, dest: ${dir}/remote-copy.bin }
    - fetch: { src: ${dir}/remote-copy.bin, dest: ${dir}/fetched.bin, flat: true }
`;

export { logins };

/** Runs the playbook with `program` as ansible_ssh_executable and `sshArgs` as ssh_args. */
export async function playbook(sshd: Sshd, tag: string, program: string, sshArgs: string[]) {
  const dir = `${sshd.dir}/ansible-${tag}`;
  Deno.mkdirSync(dir);
  Deno.writeFileSync(`${dir}/payload.bin`, crypto.getRandomValues(new Uint8Array(65536)));
  await run("sh", ["-c", `head -c 1500000 /dev/urandom >> ${dir}/payload.bin`]);
  Deno.writeTextFileSync(`${dir}/play.yml`, PLAYBOOK(dir));
  // ansible_sftp_extra_args: sftp (copy/fetch) runs the same program as its ssh.
  Deno.writeTextFileSync(
    `${dir}/inventory`,
    `x ansible_connection=ssh ansible_python_interpreter=/usr/bin/python3 ` +
      `ansible_ssh_executable=${program} "ansible_sftp_extra_args=-S ${program}"\n`,
  );
  const before = logins(sshd);
  const r = await run("ansible-playbook", ["-i", `${dir}/inventory`, `${dir}/play.yml`], {
    env: {
      ANSIBLE_SSH_ARGS: ["-F", sshd.config, ...sshArgs].join(" "),
      ANSIBLE_HOME: `${dir}/home`,
      ANSIBLE_LOCAL_TEMP: `${dir}/local-tmp`,
      ANSIBLE_REMOTE_TEMP: `${dir}/remote-tmp`,
      ANSIBLE_NOCOLOR: "1",
      ANSIBLE_RETRY_FILES_ENABLED: "0",
      ANSIBLE_SSH_TRANSFER_METHOD: "sftp",
      // One ssh per module, the module on its stdin (and less time per task).
      ANSIBLE_PIPELINING: "1",
    },
    timeoutMs: 240_000,
  });
  assertEquals(r.code, 0, `${r.out}${r.err}`);
  assertEquals(
    r.out.match(/^x\s+: .*$/m)?.[0].replace(/\s+/g, " ").trim(),
    "x : ok=5 changed=4 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0",
    r.out,
  );
  assertEquals(Deno.readTextFileSync(`${dir}/command.out`), "hello\nfrom ansible");
  for (const f of ["remote-copy.bin", "fetched.bin"]) {
    assertEquals((await run("cmp", [`${dir}/payload.bin`, `${dir}/${f}`])).code, 0, f);
  }
  return { newLogins: logins(sshd) - before };
}
