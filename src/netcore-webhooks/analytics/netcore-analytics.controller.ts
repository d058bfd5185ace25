import { BadRequestException, Controller, Get, Logger, Query, ServiceUnavailableException, Type, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NetcoreAdminGuard } from '../guards/admin.guard';
import type { NetcoreAnalyticsQuery, NetcoreAnalyticsSummary } from './netcore-analytics-summary';
import { NetcoreAnalyticsQueryError, NetcoreAnalyticsService } from './netcore-analytics.service';

const optionalText = (value: unknown, name: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new NetcoreAnalyticsQueryError(`'${name}' must be given once, as text`);
  return value;
};

/** Read-only admin endpoint `GET <path>/analytics/summary?from=YYYY-MM-DD&to=YYYY-MM-DD[&source=][&category=]`. */
export function createNetcoreAnalyticsController(path: string): Type<unknown> {
  @ApiTags('Netcore webhooks admin')
  @ApiBearerAuth()
  @ApiResponse({ status: 401, description: 'Missing or wrong admin bearer token' })
  @Controller(path)
  @UseGuards(NetcoreAdminGuard)
  class NetcoreAnalyticsController {
    private readonly logger = new Logger('NetcoreWebhooks');

    constructor(private readonly analytics: NetcoreAnalyticsService) {}

    @Get('analytics/summary')
    @ApiQuery({ name: 'from', description: 'First UTC day, YYYY-MM-DD', example: '2025-12-01' })
    @ApiQuery({ name: 'to', description: 'Last UTC day, YYYY-MM-DD', example: '2025-12-07' })
    @ApiQuery({ name: 'source', required: false })
    @ApiQuery({ name: 'category', required: false })
    @ApiOkResponse({ description: 'Funnel, rates, timing percentiles and top failure remarks' })
    @ApiResponse({ status: 400, description: 'Bad query' })
    @ApiResponse({ status: 503, description: 'Database unavailable' })
    async summary(@Query() params: Record<string, unknown>): Promise<NetcoreAnalyticsSummary> {
      try {
        const query: NetcoreAnalyticsQuery = {
          from: optionalText(params.from, 'from') ?? '',
          to: optionalText(params.to, 'to') ?? '',
          source: optionalText(params.source, 'source'),
          category: optionalText(params.category, 'category'),
        };
        return await this.analytics.summary(query);
      } catch (error) {
        if (error instanceof NetcoreAnalyticsQueryError) {
          this.logger.warn(`Analytics summary refused: ${error.message}`);
          throw new BadRequestException(error.message);
        }
        // Our side failed (typically the database): 503, the caller may retry.
        this.logger.error(`Analytics summary failed: ${(error as Error)?.message ?? error}`);
        throw new ServiceUnavailableException('Analytics are unavailable; retry later');
      }
    }
  }
  return NetcoreAnalyticsController;
}
