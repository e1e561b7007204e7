/**
 * The `docket` executable (bin/docket.mjs imports the built copy; `npm start`
 * runs this file through tsx). The one place that exits the process.
 */
import { readEnv } from './env.js';
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), { io: { stdout: process.stdout, stderr: process.stderr }, env: readEnv(), cwd: process.cwd() });
process.exitCode = code;
// Exit even if a library left a handle open (a pool timer, a socket in
// keep-alive); everything that matters was awaited above.
setTimeout(() => process.exit(code), 500).unref();
