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
  ResolvedNetcoreVerificationOptions,
  ResolvedNetcoreWebhooksOptions,
} from './netcore-webhooks/netcore-webhooks-options.interface';
export { NETCORE_WEBHOOKS_OPTIONS } from './netcore-webhooks/netcore-webhooks.constants';
export { NetcoreWebhooksConfigurationError } from './netcore-webhooks/netcore-webhooks-options.resolver';

export { NETCORE_MESSAGE_EVENTS, netcoreMessageEventName } from './netcore-webhooks/events/netcore-message-events';
export type { NetcoreMessageEventName } from './netcore-webhooks/events/netcore-message-events';
export { NetcoreMessageEvent } from './netcore-webhooks/events/netcore-message.event';
export type { NetcoreMessagePricing } from './netcore-webhooks/events/netcore-message.event';
export { STATUS_RANK } from './netcore-webhooks/lifecycle/status-rank';

export { NETCORE_WEBHOOKS_ENTITIES } from './netcore-webhooks/entities';
export { NetcoreWebhookEvent } from './netcore-webhooks/entities/netcore-webhook-event.entity';
export type { NetcoreWebhookEventState } from './netcore-webhooks/entities/netcore-webhook-event.entity';
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
export { NetcoreBillingState } from './netcore-webhooks/entities/netcore-billing-state.entity';
export type { NetcoreBillingNotified } from './netcore-webhooks/entities/netcore-billing-state.entity';
export { NetcoreAnalyticsEvent } from './netcore-webhooks/entities/netcore-analytics-event.entity';
export { NetcoreAnalyticsDailyCount } from './netcore-webhooks/entities/netcore-analytics-daily-count.entity';

export { NetcoreBillingSink } from './netcore-webhooks/billing/netcore-billing-sink.interface';
export type {
  NetcoreBillingCharge,
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
  NetcoreAnalyticsQuery,
  NetcoreAnalyticsSummary,
  NetcoreTimingFigures,
} from './netcore-webhooks/analytics/netcore-analytics-summary';

export { NetcoreMessageService } from './netcore-webhooks/messages/netcore-message.service';
export { NetcoreEventDispatcher, type ScheduleOptions } from './netcore-webhooks/dispatch/netcore-event-dispatcher.service';
export type { StoredEvent } from './netcore-webhooks/dispatch/stored-event';
export { NetcoreRecoverySweeper } from './netcore-webhooks/dispatch/netcore-recovery-sweeper.service';
export { NetcoreInboxService } from './netcore-webhooks/dispatch/netcore-inbox.service';
export type { NetcoreInboxStats } from './netcore-webhooks/dispatch/netcore-inbox-stats';
export { retryDelayMs } from './netcore-webhooks/dispatch/retry-delay';
export { NetcoreDeadLetterService } from './netcore-webhooks/dead-letters/netcore-dead-letter.service';
export type {
  NetcoreDeadLetterPage,
  NetcoreDeadLetterQuery,
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
export { NetcoreAdminGuard } from './netcore-webhooks/guards/admin.guard';
export { NetcoreSignatureGuard } from './netcore-webhooks/guards/signature.guard';
export { NetcoreHttpsGuard } from './netcore-webhooks/guards/https.guard';
export { NetcoreIpAllowlistGuard } from './netcore-webhooks/guards/ip-allowlist.guard';
export type { WebhookRequest } from './netcore-webhooks/guards/webhook-request';
export { NETCORE_REJECTION_REASONS, NetcoreSecurityStats } from './netcore-webhooks/security/netcore-security-stats.service';
export type { NetcoreRejectionReason } from './netcore-webhooks/security/netcore-security-stats.service';
export { HmacVerifier } from './netcore-webhooks/verification/hmac.verifier';
export type { HmacVerifierOptions } from './netcore-webhooks/verification/hmac.verifier';
export { SharedSecretVerifier } from './netcore-webhooks/verification/shared-secret.verifier';
export type { SharedSecretVerifierOptions } from './netcore-webhooks/verification/shared-secret.verifier';
export { STANDARD_WEBHOOKS_HEADERS, StandardWebhooksVerifier } from './netcore-webhooks/verification/standard-webhooks.verifier';
export type { StandardWebhooksVerifierOptions } from './netcore-webhooks/verification/standard-webhooks.verifier';
export { IpAllowlist } from './netcore-webhooks/verification/ip-allowlist';
export { WebhookVerificationError } from './netcore-webhooks/verification/webhook-verification.error';
export type { WebhookVerificationFailure } from './netcore-webhooks/verification/webhook-verification.error';
export type { WebhookVerifier } from './netcore-webhooks/verification/webhook-verifier.interface';
export { DeliveryStatusDto, DeliveryStatusPricingDto } from './netcore-webhooks/dto/delivery-status.dto';
export { DeliveryStatusEnvelopeDto } from './netcore-webhooks/dto/delivery-status-envelope.dto';
export { NetcoreIngestResultDto } from './netcore-webhooks/dto/netcore-ingest-result.dto';
