import type protobuf from 'protobufjs';
import {
  type ConnectAnswer,
  type ConnectCodec,
  type ConnectLimits,
  connectCodecOf,
  decodeConnectRequest,
  encodeConnectResponse,
} from '../../platform/connect.js';
import { notFound } from '../../platform/errors.js';
import type { HttpRequest, HttpResponse } from '../../platform/lambda-http.js';
import type { SqlDatabase } from '../../platform/ports.js';
import {
  getProfileStats,
  labelNames,
  labelValues,
  profileTypes,
  type QuerierLimits,
  selectHeatmap,
  selectMergeProfile,
  selectMergeSpanProfile,
  selectMergeStacktraces,
  selectSeries,
  series,
} from './querier.js';
import { querierService } from './schema.js';

/**
 * `POST /querier.v1.QuerierService/<Method>`: Pyroscope's query API as Grafana's Pyroscope
 * datasource (binary protobuf) and Profiles Drilldown (JSON) call it, Connect unary. Methods not
 * listed here answer Connect's `unimplemented` (404).
 */
type Method = (
  db: SqlDatabase,
  tenant: string,
  request: Record<string, unknown>,
  limits: QuerierLimits,
) => Promise<ConnectAnswer>;

const message =
  <T extends Record<string, unknown>>(
    run: (db: SqlDatabase, tenant: string, request: Record<string, unknown>, limits: QuerierLimits) => Promise<T>,
  ): Method =>
  async (db, tenant, request, limits) => ({ message: await run(db, tenant, request, limits) });

const methods: Record<string, Method> = {
  ProfileTypes: message(profileTypes),
  LabelNames: message(labelNames),
  LabelValues: message(labelValues),
  Series: message(series),
  SelectMergeStacktraces: message(selectMergeStacktraces),
  SelectMergeSpanProfile: message(selectMergeSpanProfile),
  SelectSeries: message(selectSeries),
  SelectHeatmap: message(selectHeatmap),
  SelectMergeProfile: async (db, tenant, request, limits) => ({
    encoded: await selectMergeProfile(db, tenant, request, limits),
  }),
  GetProfileStats: message((db, tenant) => getProfileStats(db, tenant)),
};

export const PYROSCOPE_METHODS = Object.keys(methods);

export async function callQuerier(
  db: SqlDatabase,
  tenant: string,
  method: string,
  request: HttpRequest,
  limits: QuerierLimits & ConnectLimits,
): Promise<HttpResponse> {
  const run = Object.hasOwn(methods, method) ? methods[method] : undefined;
  const rpc = Object.hasOwn(querierService.methods, method) ? querierService.methods[method] : undefined;
  if (run === undefined || rpc === undefined) {
    throw notFound(`querier.v1.QuerierService/${method.slice(0, 100)} is not implemented by Hotspots`);
  }
  rpc.resolve();
  const codec: ConnectCodec = connectCodecOf(request.headers['content-type']);
  const input = decodeConnectRequest(rpc.resolvedRequestType as protobuf.Type, request, codec, limits);
  const answer = await run(db, tenant, input, limits);
  return encodeConnectResponse(rpc.resolvedResponseType as protobuf.Type, answer, codec);
}
