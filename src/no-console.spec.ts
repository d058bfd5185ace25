import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/\.spec\.ts$/.test(name) ? [path] : [];
  });
}

describe('logging in the library and the demo app', () => {
  it('goes through the Nest Logger: no console.* call in src', () => {
    const offenders = sources(__dirname).filter((file) => /\bconsole\.(log|info|warn|error|debug|trace)\s*\(/.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => relative(__dirname, f))).toEqual([]);
  });
});
