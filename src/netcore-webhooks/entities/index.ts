import { NetcoreAnalyticsMessage } from './netcore-analytics-message.entity';
import { NetcoreBillingCommand } from './netcore-billing-command.entity';
import { NetcoreBillingRecord } from './netcore-billing-record.entity';
import { NetcoreBillingState } from './netcore-billing-state.entity';
import { NetcoreDeadLetter } from './netcore-dead-letter.entity';
import { NetcoreInboxWork } from './netcore-inbox-work.entity';
import { NetcoreMessage } from './netcore-message.entity';
import { NetcoreWebhookEvent } from './netcore-webhook-event.entity';

/** Every entity of the module, for the host's `TypeOrmModule.forRoot({ entities: [...] })`. */
export const NETCORE_WEBHOOKS_ENTITIES = [
  NetcoreWebhookEvent,
  NetcoreInboxWork,
  NetcoreMessage,
  NetcoreDeadLetter,
  NetcoreBillingState,
  NetcoreBillingRecord,
  NetcoreBillingCommand,
  NetcoreAnalyticsMessage,
];
