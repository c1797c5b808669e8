// The mux master: `sshmux -M` serving stock `ssh -S`, scp, sftp and sshmux clients over a
// ControlPath with its own SSH connection. main.ts routes here; nothing else is exported.
export { type MasterLaunch, runMaster } from "./run_master.ts";
