import type {
  EndpointCpu as EndpointCpuAnswer,
  EndpointCpuResult,
  FunctionCpu as FunctionCpuAnswer,
  Json,
  ServiceEntry as ServiceEntryAnswer,
  SpanHotspots,
  TimeBreakdown,
  TimeseriesResult,
} from '../../shared/query/answers.js';
import type { ChangesResult, EndpointRequestsResult } from '../../shared/query/compare-answers.js';
import type { IngestErrors } from '../../shared/query/ingest-answers.js';

/**
 * The query routes' answers as the UI receives them: the backend's own types (type-only import),
 * with every 64-bit figure a JSON number. Apart from api.ts's fetch and key storage, so pure
 * modules and their unit tests can name them.
 */
export type ServiceEntry = Json<ServiceEntryAnswer>;

export interface ServicesBody {
  services: ServiceEntry[];
}

export type EndpointCpu = Json<EndpointCpuAnswer>;
export type EndpointCpuBody = Json<EndpointCpuResult>;
export type SeriesBody = Json<TimeseriesResult>;
export type FunctionCpu = Json<FunctionCpuAnswer>;
export type SpanHotspotsBody = Json<SpanHotspots>;
export type IngestErrorsBody = Json<IngestErrors>;
export type Breakdown = Json<TimeBreakdown>;
export type ChangesBody = Json<ChangesResult>;
export type EndpointRequestsBody = Json<EndpointRequestsResult>;
