import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { register } from 'prom-client';

/** Prometheus scrape endpoint of the demo app: prom-client's default registry, where the module registers by default. */
@ApiExcludeController()
@Controller('metrics')
export class DemoMetricsController {
  @Get()
  @Header('content-type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
