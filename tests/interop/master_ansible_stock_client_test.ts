// Ansible through a master of each kind started by startMaster(kind), with the stock ssh as
// Ansible's `ansible_ssh_executable` (ControlMaster=no + the master's ControlPath): the playbook
// of ../helpers/ansible.ts, byte-exact, and no task connecting on its own.
import { assertEquals } from "@std/assert";
import { masterTest, startMaster, startMasterSshd } from "../helpers/master.ts";
import { playbook } from "../helpers/ansible.ts";
import { run } from "../helpers/run.ts";

masterTest("Ansible with the stock ssh as the master's client", async (kind, t) => {
  const r = await run("sh", ["-c", "command -v ansible-playbook"]);
  assertEquals(r.code, 0, "ansible-playbook is not installed: run scripts/setup.sh");
  const sshd = await startMasterSshd();
  try {
    const master = await startMaster(kind, sshd);
    try {
      await t.step("ping, command, copy and fetch over the master's connection", async () => {
        const { newLogins } = await playbook(sshd, "ssh-client", "/usr/bin/ssh", [
          "-o",
          "ControlMaster=no",
          "-o",
          `ControlPath=${master.ctl}`,
        ]);
        assertEquals(newLogins, 0, "no task connected directly");
        assertEquals((await master.control("check")).code, 0);
      });
    } finally {
      await master.stop();
    }
  } finally {
    await sshd.stop();
  }
});
