import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { ApiExcludeController } from '@nestjs/swagger';
import { NetcoreWebhooksHealthIndicator } from '../index';

/** Health endpoint of the demo app: database reachable, backlog and dead letters under their limits. */
@ApiExcludeController()
@Controller('health')
export class DemoHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly netcore: NetcoreWebhooksHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    const maxBacklog = Number(process.env.HEALTH_MAX_BACKLOG ?? 1000);
    return this.health.check([() => this.netcore.isHealthy('netcore_webhooks', { maxBacklog })]);
  }
}
