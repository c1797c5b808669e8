// OpenSSH's regress/multiplex.sh against each master kind (OpenSSH's and sshmux's), with the
// stock `ssh`, `scp` and `sftp` as clients. The scenario itself: ../helpers/master_multiplex.ts.
import { masterTest } from "../helpers/master.ts";
import { multiplexScenarios } from "../helpers/master_multiplex.ts";

masterTest(
  "regress/multiplex.sh with stock ssh clients",
  (kind, t) => multiplexScenarios(kind, "ssh", t),
);
