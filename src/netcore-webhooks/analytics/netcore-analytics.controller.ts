import { BadRequestException, Controller, Get, Logger, Query, ServiceUnavailableException, Type, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NetcoreAdminGuard } from '../guards/admin.guard';
import type { NetcoreAnalyticsQuery, NetcoreAnalyticsSeriesDay, NetcoreAnalyticsSummary } from './netcore-analytics-summary';
import { NetcoreAnalyticsQueryError, NetcoreAnalyticsService } from './netcore-analytics.service';

const optionalText = (value: unknown, name: string): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new NetcoreAnalyticsQueryError(`'${name}' must be given once, as text`);
  return value;
};

/**
 * Read-only admin endpoints `GET <path>/analytics/summary` and `GET <path>/analytics/series`, both with
 * `?from=YYYY-MM-DD&to=YYYY-MM-DD[&source=][&category=]`.
 */
export function createNetcoreAnalyticsController(path: string): Type<unknown> {
  @ApiTags('Netcore webhooks admin')
  @ApiBearerAuth()
  @ApiResponse({ status: 401, description: 'Missing or wrong admin bearer token' })
  @ApiResponse({ status: 400, description: 'Bad query' })
  @ApiResponse({ status: 503, description: 'Database unavailable' })
  @ApiQuery({ name: 'from', description: 'First UTC day, YYYY-MM-DD', example: '2025-12-01' })
  @ApiQuery({ name: 'to', description: 'Last UTC day, YYYY-MM-DD', example: '2025-12-07' })
  @ApiQuery({ name: 'source', required: false })
  @ApiQuery({ name: 'category', required: false })
  @Controller(path)
  @UseGuards(NetcoreAdminGuard)
  class NetcoreAnalyticsController {
    private readonly logger = new Logger('NetcoreWebhooks');

    constructor(private readonly analytics: NetcoreAnalyticsService) {}

    @Get('analytics/summary')
    @ApiOkResponse({ description: 'Cohort funnel, rates, activity, timing percentiles and top failure remarks' })
    summary(@Query() params: Record<string, unknown>): Promise<NetcoreAnalyticsSummary> {
      return this.answer('summary', params, (query) => this.analytics.summary(query));
    }

    @Get('analytics/series')
    @ApiOkResponse({ description: 'One row per day: that day\'s cohort funnel, rates and activity' })
    series(@Query() params: Record<string, unknown>): Promise<NetcoreAnalyticsSeriesDay[]> {
      return this.answer('series', params, (query) => this.analytics.series(query));
    }

    private async answer<T>(name: string, params: Record<string, unknown>, read: (query: NetcoreAnalyticsQuery) => Promise<T>): Promise<T> {
      try {
        return await read({
          from: optionalText(params.from, 'from') ?? '',
          to: optionalText(params.to, 'to') ?? '',
          source: optionalText(params.source, 'source'),
          category: optionalText(params.category, 'category'),
        });
      } catch (error) {
        if (error instanceof NetcoreAnalyticsQueryError) {
          this.logger.warn(`Analytics ${name} refused: ${error.message}`);
          throw new BadRequestException(error.message);
        }
        // Our side failed (typically the database): 503, the caller may retry.
        this.logger.error(`Analytics ${name} failed: ${(error as Error)?.message ?? error}`);
        throw new ServiceUnavailableException('Analytics are unavailable; retry later');
      }
    }
  }
  return NetcoreAnalyticsController;
}
