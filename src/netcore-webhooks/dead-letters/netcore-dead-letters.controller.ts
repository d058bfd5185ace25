import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Type,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiResponse, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { NetcoreDeadLetter } from '../entities/netcore-dead-letter.entity';
import { NetcoreAdminGuard } from '../guards/admin.guard';
import { NetcoreDeadLetterService } from './netcore-dead-letter.service';
import type { NetcoreDeadLetterQuery, NetcoreDeadLetterView, NetcoreDeadLetterViewPage, NetcoreReplayResult } from './netcore-dead-letter.types';

const REASONS = ['validation', 'processing', 'billing'];
const STATES = ['open', 'replayed', 'discarded'];
const MAX_REPLAY_IDS = 500;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new BadRequestException(`${name} must be a positive integer`);
  return Number(value);
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: string[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new BadRequestException(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** The stored text as the JSON value it holds; text that is not JSON (never written by the module) stays text. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function view(letter: NetcoreDeadLetter): NetcoreDeadLetterView {
  const errors = parsed(letter.errors);
  return { ...letter, errors: Array.isArray(errors) ? errors.map(String) : [String(errors)], payload: parsed(letter.payload) };
}

/** Dead letter ids are UUIDs (randomUUID): anything else is a 400, never a value the database refuses (NUL: 500). */
const letterId = () => new ParseUUIDPipe();

function ids(body: unknown): string[] {
  const list = (body as { ids?: unknown } | null)?.ids;
  if (!Array.isArray(list) || !list.length || list.length > MAX_REPLAY_IDS || !list.every((id) => typeof id === 'string' && isUUID(id))) {
    throw new BadRequestException(`ids must be a non-empty array of at most ${MAX_REPLAY_IDS} dead letter ids (UUIDs)`);
  }
  return list as string[];
}

/** Admin endpoints under `<path>/dead-letters`; mapped only when the admin endpoints are enabled (see adminRoutes). */
export function createNetcoreDeadLettersController(path: string): Type<unknown> {
  @ApiTags('Netcore webhooks admin')
  @ApiBearerAuth()
  @ApiResponse({ status: 401, description: 'Missing or wrong admin bearer token' })
  @ApiResponse({ status: 404, description: 'No such dead letter' })
  @Controller(`${path.replace(/\/+$/, '')}/dead-letters`)
  @UseGuards(NetcoreAdminGuard)
  class NetcoreDeadLettersController {
    constructor(private readonly deadLetters: NetcoreDeadLetterService) {}

    @Get()
    async list(
      @Query('reason') reason?: string,
      @Query('state') state?: string,
      @Query('page') page?: string,
      @Query('pageSize') pageSize?: string,
    ): Promise<NetcoreDeadLetterViewPage> {
      const query: NetcoreDeadLetterQuery = {
        reason: oneOf('reason', reason, REASONS),
        state: oneOf('state', state, STATES),
        page: positiveInt('page', page),
        pageSize: positiveInt('pageSize', pageSize),
      };
      if (query.pageSize !== undefined && query.pageSize > 500) throw new BadRequestException('pageSize must be at most 500');
      const found = await this.deadLetters.list(query);
      return { ...found, items: found.items.map(view) };
    }

    @Post('replay')
    @HttpCode(HttpStatus.OK)
    async replayMany(@Body() body: unknown): Promise<{ results: NetcoreReplayResult[] }> {
      return { results: await this.deadLetters.replayMany(ids(body)) };
    }

    @Get(':id')
    async show(@Param('id', letterId()) id: string): Promise<NetcoreDeadLetterView> {
      const letter = await this.deadLetters.show(id);
      if (!letter) throw new NotFoundException(`No dead letter ${id}`);
      return view(letter);
    }

    @Post(':id/replay')
    @HttpCode(HttpStatus.OK)
    async replay(@Param('id', letterId()) id: string): Promise<NetcoreReplayResult> {
      const result = await this.deadLetters.replay(id);
      if (result.outcome === 'not-found') throw new NotFoundException(`No dead letter ${id}`);
      return result;
    }

    @Post(':id/discard')
    @HttpCode(HttpStatus.OK)
    async discard(@Param('id', letterId()) id: string, @Body() body: unknown): Promise<NetcoreDeadLetterView> {
      const reason = (body as { reason?: unknown } | null)?.reason;
      if (typeof reason !== 'string' || !reason.trim() || reason.length > 1000 || reason.includes('\u0000')) {
        throw new BadRequestException('reason must be a non-empty string of at most 1000 characters, without NUL');
      }
      const closed = await this.deadLetters.discard(id, reason.trim());
      if (closed) return view(closed);
      if (!(await this.deadLetters.show(id))) throw new NotFoundException(`No dead letter ${id}`);
      throw new ConflictException(`Dead letter ${id} is not open`);
    }
  }
  return NetcoreDeadLettersController;
}
