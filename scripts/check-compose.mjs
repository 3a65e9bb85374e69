// Part of `npm run check`: `docker compose config` validates docker-compose.yml where the Docker CLI
// and its compose plugin are installed; elsewhere it says it skipped, and the env-var test still
// checks the variables the file sets against the code.
import { spawnSync } from 'node:child_process';

const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
if (version.error !== undefined || version.status !== 0) {
  console.log('docker compose config: skipped (no docker compose here)');
} else {
  const config = spawnSync('docker', ['compose', 'config', '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] });
  if (config.status !== 0) {
    console.error('docker compose config: docker-compose.yml is not valid');
    process.exit(1);
  }
  console.log('docker compose config: ok');
}
