// The public API of netcore-webhooks. Anything not exported here is internal.
export { NetcoreWebhooksModule } from './netcore-webhooks/netcore-webhooks.module';
export type { NetcoreWebhooksModuleAsyncOptions } from './netcore-webhooks/netcore-webhooks.module-definition';
export type {
  NetcoreAdminOptions,
  NetcoreSinkOption,
  NetcoreHmacVerificationOptions,
  NetcoreMetricsOptions,
  NetcoreNoVerificationOptions,
  NetcoreRecoveryOptions,
  NetcoreRetryOptions,
  NetcoreSharedSecretVerificationOptions,
  NetcoreStandardWebhooksVerificationOptions,
  NetcoreVerificationOptions,
  NetcoreWebhooksModuleExtras,
  NetcoreWebhooksModuleOptions,
  NetcoreWebhooksOptions,
} from './netcore-webhooks/netcore-webhooks-options.interface';
export { NetcoreWebhooksConfigurationError } from './netcore-webhooks/netcore-webhooks-options.resolver';

export { NETCORE_MESSAGE_EVENTS, netcoreMessageEventName } from './netcore-webhooks/events/netcore-message-events';
export type { NetcoreMessageEventName, NetcoreMessageStatus } from './netcore-webhooks/events/netcore-message-events';
export { NetcoreMessageEvent } from './netcore-webhooks/events/netcore-message.event';
export type { NetcoreMessagePricing } from './netcore-webhooks/events/netcore-message.event';

export { NETCORE_WEBHOOKS_ENTITIES } from './netcore-webhooks/entities';
export { NetcoreWebhookEvent } from './netcore-webhooks/entities/netcore-webhook-event.entity';
export { NetcoreInboxWork } from './netcore-webhooks/entities/netcore-inbox-work.entity';
export type { NetcoreInboxWorkState } from './netcore-webhooks/entities/netcore-inbox-work.entity';
export { NetcoreMessage } from './netcore-webhooks/entities/netcore-message.entity';
export {
  NETCORE_WEBHOOKS_MIGRATIONS_POSTGRES,
  NETCORE_WEBHOOKS_MIGRATIONS_SQLITE,
  netcoreWebhooksMigrations,
} from './netcore-webhooks/migrations';
export type { NetcoreWebhooksMigration } from './netcore-webhooks/migrations';
export { NetcoreDeadLetter } from './netcore-webhooks/entities/netcore-dead-letter.entity';
export type { NetcoreDeadLetterReason, NetcoreDeadLetterState } from './netcore-webhooks/entities/netcore-dead-letter.entity';

export { NetcoreBillingRecord } from './netcore-webhooks/entities/netcore-billing-record.entity';
export type { NetcoreBillingRecordState } from './netcore-webhooks/entities/netcore-billing-record.entity';
export { NetcoreBillingCommand } from './netcore-webhooks/entities/netcore-billing-command.entity';
export type { NetcoreBillingCommandKind, NetcoreBillingCommandState } from './netcore-webhooks/entities/netcore-billing-command.entity';
export { NetcoreAnalyticsMessage } from './netcore-webhooks/entities/netcore-analytics-message.entity';

export { NetcoreBillingSink } from './netcore-webhooks/billing/netcore-billing-sink.interface';
export type {
  NetcoreBillingCharge,
  NetcoreBillingCommandBase,
  NetcoreBillingRestore,
  NetcoreBillingVoid,
} from './netcore-webhooks/billing/netcore-billing-sink.interface';
export { TypeOrmBillingSink } from './netcore-webhooks/billing/typeorm-billing.sink';
export { NetcoreBillingService } from './netcore-webhooks/billing/netcore-billing.service';
export type { NetcoreBillingTotal } from './netcore-webhooks/billing/netcore-billing.service';
export { NetcoreAnalyticsSink } from './netcore-webhooks/analytics/netcore-analytics-sink.interface';
export { TypeOrmAnalyticsSink } from './netcore-webhooks/analytics/typeorm-analytics.sink';
export { NetcoreAnalyticsQueryError, NetcoreAnalyticsService } from './netcore-webhooks/analytics/netcore-analytics.service';
export type {
  NetcoreAnalyticsCounts,
  NetcoreAnalyticsQuery,
  NetcoreAnalyticsSeriesDay,
  NetcoreAnalyticsSummary,
  NetcoreTimingFigures,
} from './netcore-webhooks/analytics/netcore-analytics-summary';

export { NetcoreMessageService } from './netcore-webhooks/messages/netcore-message.service';
export { NetcoreInboxService } from './netcore-webhooks/dispatch/netcore-inbox.service';
export type { NetcoreInboxStats } from './netcore-webhooks/dispatch/netcore-inbox-stats';
export { NetcoreDeadLetterService } from './netcore-webhooks/dead-letters/netcore-dead-letter.service';
export type {
  NetcoreDeadLetterPage,
  NetcoreDeadLetterQuery,
  NetcoreDeadLetterView,
  NetcoreDeadLetterViewPage,
  NetcoreReplayOutcome,
  NetcoreReplayResult,
} from './netcore-webhooks/dead-letters/netcore-dead-letter.types';
export type { NetcoreIngestResult } from './netcore-webhooks/ingest/netcore-ingest-result';

export { NetcoreWebhooksMetrics } from './netcore-webhooks/metrics/netcore-webhooks-metrics.service';
export type {
  NetcoreDeadLetterMetricReason,
  NetcoreRequestRejectionReason,
} from './netcore-webhooks/metrics/netcore-webhooks-metrics.service';
export { NetcoreWebhooksHealthIndicator } from './netcore-webhooks/health/netcore-webhooks-health.indicator';
export type {
  NetcoreWebhooksHealthDetails,
  NetcoreWebhooksHealthOptions,
  NetcoreWebhooksHealthResult,
} from './netcore-webhooks/health/netcore-webhooks-health.indicator';
export { NETCORE_REJECTION_REASONS, NetcoreSecurityStats } from './netcore-webhooks/security/netcore-security-stats.service';
export type { NetcoreRejectionReason } from './netcore-webhooks/security/netcore-security-stats.service';
export { HmacVerifier } from './netcore-webhooks/verification/hmac.verifier';
export type { HmacVerifierOptions } from './netcore-webhooks/verification/hmac.verifier';
export { SharedSecretVerifier } from './netcore-webhooks/verification/shared-secret.verifier';
export type { SharedSecretVerifierOptions } from './netcore-webhooks/verification/shared-secret.verifier';
export { STANDARD_WEBHOOKS_HEADERS, StandardWebhooksVerifier } from './netcore-webhooks/verification/standard-webhooks.verifier';
export type { StandardWebhooksVerifierOptions } from './netcore-webhooks/verification/standard-webhooks.verifier';
export { WebhookVerificationError } from './netcore-webhooks/verification/webhook-verification.error';
export type { WebhookVerificationFailure } from './netcore-webhooks/verification/webhook-verification.error';
export type { WebhookVerifier } from './netcore-webhooks/verification/webhook-verifier.interface';
export { DeliveryStatusDto, DeliveryStatusPricingDto } from './netcore-webhooks/dto/delivery-status.dto';
export { DeliveryStatusEnvelopeDto } from './netcore-webhooks/dto/delivery-status-envelope.dto';
export { NetcoreIngestResultDto } from './netcore-webhooks/dto/netcore-ingest-result.dto';
