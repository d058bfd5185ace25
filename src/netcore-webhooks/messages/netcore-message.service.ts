import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { NetcoreMessage } from '../entities/netcore-message.entity';

/** Read access to the current state of messages, for the host's own queries. */
@Injectable()
export class NetcoreMessageService {
  constructor(@InjectRepository(NetcoreMessage) private readonly messages: Repository<NetcoreMessage>) {}

  /** The message's current state, or `null` if no event for it was processed yet. */
  findOne(ncmessageId: string): Promise<NetcoreMessage | null> {
    return this.messages.findOneBy({ ncmessageId });
  }
}
