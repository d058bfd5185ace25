import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ANALYTICS_CATEGORY_LENGTH, ANALYTICS_SOURCE_LENGTH } from './netcore-analytics-event.entity';
import { bigintNumber } from './epoch-ms.transformer';

/** Messages that reached `status` on `day` (UTC), per pricing category and source. */
@Entity({ name: 'netcore_analytics_daily_counts' })
export class NetcoreAnalyticsDailyCount {
  @PrimaryColumn({ type: 'varchar', length: 10 })
  day!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  status!: string;

  @PrimaryColumn({ type: 'varchar', length: ANALYTICS_CATEGORY_LENGTH })
  category!: string;

  @PrimaryColumn({ type: 'varchar', length: ANALYTICS_SOURCE_LENGTH })
  source!: string;

  @Column({ type: 'bigint', transformer: bigintNumber })
  count!: number;
}
