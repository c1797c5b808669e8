// Ansible (ansible-core from Debian) through a master of each kind: one playbook with ping,
// command, copy and fetch (../helpers/ansible.ts), results compared byte for byte, and the
// server's log showing that every task rode on one SSH connection. Here
// `ansible_ssh_executable` = the kind's program (/usr/bin/ssh or the sshmux launcher) with
// Ansible's own ControlMaster=auto + ControlPersist: the first task starts the master in the
// background, the rest are its clients (sftp too, through `sftp -S <program>`).
// master_ansible_stock_client_test.ts: a started master with the stock ssh as Ansible's client.
import { assertEquals } from "@std/assert";
import {
  checkPid,
  masterProgram,
  masterTest,
  pathExists,
  processAlive,
  startMasterSshd,
} from "../helpers/master.ts";
import { playbook } from "../helpers/ansible.ts";
import { run, waitFor } from "../helpers/run.ts";

masterTest("Ansible through the master", async (kind, t) => {
  const r = await run("sh", ["-c", "command -v ansible-playbook"]);
  assertEquals(r.code, 0, "ansible-playbook is not installed: run scripts/setup.sh");
  const sshd = await startMasterSshd();
  const program = kind === "stock" ? "/usr/bin/ssh" : masterProgram(kind);
  try {
    const name = kind === "stock" ? "ssh" : "sshmux";
    await t.step(
      `ansible_ssh_executable=${name}: the master (auto + ControlPersist) and its clients`,
      async () => {
        const ctl = `${sshd.dir}/ansible-cp`;
        const { newLogins } = await playbook(sshd, "auto", program, [
          "-C",
          "-o",
          "ControlMaster=auto",
          "-o",
          "ControlPersist=60s",
          "-o",
          `ControlPath=${ctl}`,
        ]);
        assertEquals(newLogins, 1, "every task used the one master connection");
        const check = await run(program, ["-F", sshd.config, "-S", ctl, "-O", "check", "x"]);
        assertEquals(check.code, 0, `the persisting master is up: ${check.err}`);
        const pid = checkPid(check.err);
        const exit = await run(program, ["-F", sshd.config, "-S", ctl, "-O", "exit", "x"]);
        assertEquals(exit.code, 0, exit.err);
        await waitFor("persisting master gone", () => !processAlive(pid));
        await waitFor("its socket removed", () => !pathExists(ctl));
      },
    );
  } finally {
    await sshd.stop();
  }
});
