import { Logger, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import { demoDataSourceOptions } from './demo/database-options';
import { DemoHealthController } from './demo/health.controller';
import { DemoMetricsController } from './demo/metrics.controller';
import { SqliteWalCheckpointer } from './demo/sqlite-wal-checkpointer';
import { NetcoreWebhooksModule, type NetcoreRecoveryOptions } from './index';

/** Demo host app: how a messaging platform mounts the module. Configured from the environment. */
export const DEV_SECRET = 'dev-secret-change-me';

/** The schema comes from the module's migrations, run at start-up. */
export function databaseOptions(env: NodeJS.ProcessEnv = process.env): TypeOrmModuleOptions {
  return { ...demoDataSourceOptions(env), migrationsRun: true };
}

function webhookSecret(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NETCORE_WEBHOOK_SECRET) return env.NETCORE_WEBHOOK_SECRET;
  if (env.NODE_ENV === 'production') return ''; // the module then refuses to start, naming the setting
  new Logger('DemoApp').warn(`NETCORE_WEBHOOK_SECRET is not set: using the development secret "${DEV_SECRET}"`);
  return DEV_SECRET;
}

/** Optional recovery tuning (the crash test uses short leases); unset means the module's defaults. */
export function recoveryOptions(env: NodeJS.ProcessEnv = process.env): NetcoreRecoveryOptions {
  const number = (name: string) => (env[name] ? Number(env[name]) : undefined);
  return { leaseMs: number('NETCORE_RECOVERY_LEASE_MS'), sweepIntervalMs: number('NETCORE_RECOVERY_SWEEP_INTERVAL_MS') };
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({ useFactory: () => databaseOptions() }),
    EventEmitterModule.forRoot(),
    NetcoreWebhooksModule.forRootAsync({
      // Routes are fixed when the module is declared: the admin endpoints exist only with an admin token.
      adminRoutes: Boolean(process.env.NETCORE_ADMIN_TOKEN),
      useFactory: () => ({
        verification: { scheme: 'hmac', secrets: [webhookSecret()] },
        recovery: recoveryOptions(),
        ...(process.env.NETCORE_ADMIN_TOKEN ? { admin: { token: process.env.NETCORE_ADMIN_TOKEN } } : {}),
      }),
    }),
    TerminusModule.forRoot(),
  ],
  controllers: [DemoMetricsController, DemoHealthController],
  providers: [SqliteWalCheckpointer],
})
export class AppModule {}
