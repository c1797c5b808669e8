// OpenSSH's regress/multiplex.sh against each master kind, with sshmux as the mux client
// (`sshmux -S`, `scp -S sshmux`, `sftp -S sshmux`). The scenario: ../helpers/master_multiplex.ts.
import { masterTest } from "../helpers/master.ts";
import { multiplexScenarios } from "../helpers/master_multiplex.ts";

masterTest(
  "regress/multiplex.sh with sshmux as the client",
  (kind, t) => multiplexScenarios(kind, "sshmux", t),
);
