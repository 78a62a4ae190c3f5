// `npm audit --omit=dev` as a gate: fails on a high or critical advisory in a production dependency. When the
// registry's advisory endpoint cannot be reached (some mirrors answer 405), it says so and does not fail: nothing was
// learned either way, and the README records the last audit that could run.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', shell: process.platform === 'win32' });
let report;
try {
  report = JSON.parse(run.stdout || '{}');
} catch {
  report = {};
}
const counts = report?.metadata?.vulnerabilities;
if (counts === undefined) {
  const reason = typeof report.message === 'string' ? report.message : (run.stderr || 'no report').trim().split('\n').pop();
  console.log(`audit: the advisory endpoint could not be queried (${reason}); nothing to report`);
  process.exit(0);
}
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
console.log(`audit: production dependencies: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`);
if (serious > 0) {
  for (const [name, entry] of Object.entries(report.vulnerabilities ?? {})) {
    if (entry.severity === 'high' || entry.severity === 'critical') console.log(`  ${entry.severity}: ${name} ${entry.range ?? ''}`);
  }
  process.exit(1);
}
