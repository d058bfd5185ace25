'use strict';
// Preloaded into the servers under test: SIGUSR2 exits normally, so `--cpu-prof` writes its profile.
process.on('SIGUSR2', () => process.exit(0));
