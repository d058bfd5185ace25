import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NetcoreAnalyticsSink } from './analytics/netcore-analytics-sink.interface';
import { NetcoreAnalyticsService } from './analytics/netcore-analytics.service';
import { NetcoreBillingProjection } from './billing/netcore-billing-projection';
import { NetcoreBillingRelay } from './billing/netcore-billing-relay';
import { NetcoreBillingSink } from './billing/netcore-billing-sink.interface';
import { NetcoreBillingService } from './billing/netcore-billing.service';
import { NetcoreDeadLetterService } from './dead-letters/netcore-dead-letter.service';
import { NetcoreDatabase } from './database/netcore-database';
import { NetcoreInboxService } from './dispatch/netcore-inbox.service';
import { NetcoreProjections } from './dispatch/netcore-projections.service';
import { NetcoreWorker } from './dispatch/netcore-worker.service';
import { DeliveryStatusEnvelopePipe } from './dto/delivery-status-envelope.pipe';
import { NETCORE_WEBHOOKS_ENTITIES } from './entities';
import { NetcoreAdminGuard } from './guards/admin.guard';
import { NetcoreHttpsGuard } from './guards/https.guard';
import { NetcoreIpAllowlistGuard } from './guards/ip-allowlist.guard';
import { NetcoreSignatureGuard } from './guards/signature.guard';
import { NetcoreInboxWriter } from './ingest/netcore-inbox-writer.service';
import { NetcoreIngestService } from './ingest/netcore-ingest.service';
import { NetcoreWebhooksHealthIndicator } from './health/netcore-webhooks-health.indicator';
import { NetcoreBacklogGauges } from './metrics/netcore-backlog-gauges';
import { NetcoreWebhooksMetrics } from './metrics/netcore-webhooks-metrics.service';
import { NetcoreMessageStateWriter } from './messages/netcore-message-state.writer';
import { NetcoreMessageService } from './messages/netcore-message.service';
import { NETCORE_WEBHOOKS_OPTIONS } from './netcore-webhooks.constants';
import { NETCORE_WEBHOOKS_MODULE_OPTIONS, NetcoreWebhooksConfigurableModule } from './netcore-webhooks.module-definition';
import { resolveNetcoreWebhooksOptions } from './netcore-webhooks-options.resolver';
import { NetcoreSecurityStats } from './security/netcore-security-stats.service';
import { createWebhookVerifier } from './verification/create-webhook-verifier';
import { NETCORE_WEBHOOK_VERIFIER } from './verification/webhook-verifier.interface';

/**
 * Receives Netcore delivery webhooks. The host app owns the app-wide pieces: `TypeOrmModule.forRoot()`
 * (with `NETCORE_WEBHOOKS_ENTITIES` or `autoLoadEntities`), `EventEmitterModule.forRoot()` and `rawBody: true`.
 */
@Module({
  imports: [TypeOrmModule.forFeature(NETCORE_WEBHOOKS_ENTITIES)],
  providers: [
    { provide: NETCORE_WEBHOOKS_OPTIONS, useFactory: resolveNetcoreWebhooksOptions, inject: [NETCORE_WEBHOOKS_MODULE_OPTIONS] },
    { provide: NETCORE_WEBHOOK_VERIFIER, useFactory: createWebhookVerifier, inject: [NETCORE_WEBHOOKS_OPTIONS] },
    NetcoreSecurityStats,
    NetcoreHttpsGuard,
    NetcoreIpAllowlistGuard,
    NetcoreSignatureGuard,
    NetcoreAdminGuard,
    DeliveryStatusEnvelopePipe,
    NetcoreInboxWriter,
    NetcoreIngestService,
    NetcoreDatabase,
    NetcoreWorker,
    NetcoreProjections,
    NetcoreInboxService,
    NetcoreDeadLetterService,
    NetcoreMessageStateWriter,
    NetcoreMessageService,
    NetcoreWebhooksMetrics,
    NetcoreBacklogGauges,
    NetcoreWebhooksHealthIndicator,
    // The sinks themselves are provided by the module definition (default or the host's, see billingSink).
    NetcoreBillingProjection,
    NetcoreBillingRelay,
    NetcoreBillingService,
    NetcoreAnalyticsService,
  ],
  exports: [
    NetcoreMessageService,
    NetcoreInboxService,
    NetcoreDeadLetterService,
    NetcoreSecurityStats,
    NetcoreWebhooksMetrics,
    NetcoreWebhooksHealthIndicator,
    NETCORE_WEBHOOKS_OPTIONS,
    NetcoreBillingService,
    NetcoreAnalyticsService,
    NetcoreBillingSink,
    NetcoreAnalyticsSink,
  ],
})
export class NetcoreWebhooksModule extends NetcoreWebhooksConfigurableModule {}
