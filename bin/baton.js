#!/usr/bin/env node
// `baton [--config FILE]` runs the gateway; `baton config check [FILE]` validates a configuration.
// Both run the compiled code in dist/ (built by `npm run build`, run by `npm install` through the
// prepare script).
const args = process.argv.slice(2);

if (args[0] === 'config') {
  if (args[1] !== 'check' || args.length > 3) {
    process.stderr.write('usage: baton config check [FILE]\n');
    process.exit(2);
  }
  const { runConfigCheck } = await import('../dist/config/cli-config-check.js');
  process.exit(runConfigCheck(args[2], process.env, process));
} else {
  await import('../dist/gateway/main.js');
}
