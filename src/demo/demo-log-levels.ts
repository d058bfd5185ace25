import type { LogLevel } from '@nestjs/common';

/** Most severe first: a level enables itself and everything before it. */
const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** `LOG_LEVEL`: the least severe level the demo app prints (default `log`; `debug` adds a line per webhook batch). */
export function demoLogLevels(env: NodeJS.ProcessEnv = process.env): LogLevel[] {
  const value = (env.LOG_LEVEL || 'log') as LogLevel;
  const index = LEVELS.indexOf(value);
  if (index < 0) throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${value}"`);
  return LEVELS.slice(0, index + 1);
}
