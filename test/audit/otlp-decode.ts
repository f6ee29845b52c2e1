/**
 * A strict decoder of OTLP/HTTP protobuf request bodies for the tests: the
 * wire is read with the OpenTelemetry JS project's own `ProtobufReader`
 * (@opentelemetry/otlp-transformer; since 0.2xx it ships no generated request
 * decoders, only this reader and hand-written encoders), and the message layout
 * is the official one from opentelemetry-proto: `collector/logs/v1/logs_service.proto`,
 * `logs/v1/logs.proto`, `collector/metrics/v1/metrics_service.proto`,
 * `metrics/v1/metrics.proto`, `common/v1/common.proto`, `resource/v1/resource.proto`
 * (field numbers and types as published there). An unknown field number or a
 * wire type that does not match the field's type throws, so a payload in the
 * wrong format fails the test.
 */
import { ProtobufReader } from '@opentelemetry/otlp-transformer/build/src/common/protobuf/protobuf-reader.js';

type Scalar = 'string' | 'bytes' | 'varint' | 'bool' | 'fixed64' | 'fixed32' | 'double' | 'sfixed64';
type MessageName =
  | 'ExportLogsServiceRequest' | 'ResourceLogs' | 'ScopeLogs' | 'LogRecord' | 'ExportMetricsServiceRequest' | 'ResourceMetrics'
  | 'ScopeMetrics' | 'Metric' | 'Sum' | 'NumberDataPoint' | 'Resource' | 'InstrumentationScope' | 'KeyValue' | 'AnyValue'
  | 'ArrayValue' | 'KeyValueList';
type Field = readonly [name: string, type: Scalar | MessageName, repeated?: 'repeated'];

const SCHEMA: Record<MessageName, Record<number, Field>> = {
  ExportLogsServiceRequest: { 1: ['resourceLogs', 'ResourceLogs', 'repeated'] },
  ResourceLogs: { 1: ['resource', 'Resource'], 2: ['scopeLogs', 'ScopeLogs', 'repeated'], 3: ['schemaUrl', 'string'] },
  ScopeLogs: { 1: ['scope', 'InstrumentationScope'], 2: ['logRecords', 'LogRecord', 'repeated'], 3: ['schemaUrl', 'string'] },
  LogRecord: {
    1: ['timeUnixNano', 'fixed64'], 11: ['observedTimeUnixNano', 'fixed64'], 2: ['severityNumber', 'varint'], 3: ['severityText', 'string'],
    5: ['body', 'AnyValue'], 6: ['attributes', 'KeyValue', 'repeated'], 7: ['droppedAttributesCount', 'varint'], 8: ['flags', 'fixed32'],
    9: ['traceId', 'bytes'], 10: ['spanId', 'bytes'], 12: ['eventName', 'string'],
  },
  ExportMetricsServiceRequest: { 1: ['resourceMetrics', 'ResourceMetrics', 'repeated'] },
  ResourceMetrics: { 1: ['resource', 'Resource'], 2: ['scopeMetrics', 'ScopeMetrics', 'repeated'], 3: ['schemaUrl', 'string'] },
  ScopeMetrics: { 1: ['scope', 'InstrumentationScope'], 2: ['metrics', 'Metric', 'repeated'], 3: ['schemaUrl', 'string'] },
  Metric: { 1: ['name', 'string'], 2: ['description', 'string'], 3: ['unit', 'string'], 7: ['sum', 'Sum'], 12: ['metadata', 'KeyValue', 'repeated'] },
  Sum: { 1: ['dataPoints', 'NumberDataPoint', 'repeated'], 2: ['aggregationTemporality', 'varint'], 3: ['isMonotonic', 'bool'] },
  NumberDataPoint: {
    7: ['attributes', 'KeyValue', 'repeated'], 2: ['startTimeUnixNano', 'fixed64'], 3: ['timeUnixNano', 'fixed64'], 4: ['asDouble', 'double'],
    6: ['asInt', 'sfixed64'], 8: ['flags', 'varint'],
  },
  Resource: { 1: ['attributes', 'KeyValue', 'repeated'], 2: ['droppedAttributesCount', 'varint'] },
  InstrumentationScope: { 1: ['name', 'string'], 2: ['version', 'string'], 3: ['attributes', 'KeyValue', 'repeated'], 4: ['droppedAttributesCount', 'varint'] },
  KeyValue: { 1: ['key', 'string'], 2: ['value', 'AnyValue'] },
  AnyValue: { 1: ['stringValue', 'string'], 2: ['boolValue', 'bool'], 3: ['intValue', 'varint'], 4: ['doubleValue', 'double'], 5: ['arrayValue', 'ArrayValue'], 6: ['kvlistValue', 'KeyValueList'], 7: ['bytesValue', 'bytes'] },
  ArrayValue: { 1: ['values', 'AnyValue', 'repeated'] },
  KeyValueList: { 1: ['values', 'KeyValue', 'repeated'] },
};

/** Protobuf wire types (encoding guide): 0 varint, 1 i64, 2 length-delimited, 5 i32. */
const WIRE: Record<Scalar, number> = { string: 2, bytes: 2, varint: 0, bool: 0, fixed64: 1, fixed32: 5, double: 1, sfixed64: 1 };

/**
 * Decode `buf` as message `type`.
 * @throws Error on an unknown field, a wire-type mismatch or a truncated buffer
 */
export function decode(type: MessageName, buf: Uint8Array): Record<string, unknown> {
  const schema = SCHEMA[type];
  const reader = new ProtobufReader(buf);
  const out: Record<string, unknown> = {};
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (!reader.isAtEnd()) {
    const { fieldNumber, wireType } = reader.readTag();
    const field = schema[fieldNumber];
    if (field === undefined) throw new Error(`${type}: unknown field ${fieldNumber} (wire type ${wireType})`);
    const [name, ftype, repeated] = field;
    const expected = ftype in WIRE ? WIRE[ftype as Scalar] : 2;
    if (wireType !== expected) throw new Error(`${type}.${name}: wire type ${wireType}, expected ${expected}`);
    let value: unknown;
    switch (ftype) {
      case 'string':
        value = reader.readString();
        break;
      case 'bytes':
        value = reader.readBytes();
        break;
      case 'varint':
        value = reader.readVarint();
        break;
      case 'bool':
        value = reader.readVarint() !== 0;
        break;
      case 'fixed64':
      case 'sfixed64':
        value = ftype === 'fixed64' ? view.getBigUint64(reader.pos, true) : view.getBigInt64(reader.pos, true);
        reader.pos += 8;
        break;
      case 'double':
        value = view.getFloat64(reader.pos, true);
        reader.pos += 8;
        break;
      case 'fixed32':
        value = view.getUint32(reader.pos, true);
        reader.pos += 4;
        break;
      default:
        value = decode(ftype, reader.readBytes());
    }
    if (repeated) out[name] = [...((out[name] as unknown[] | undefined) ?? []), value];
    else out[name] = value;
  }
  return out;
}

/** An AnyValue as a plain JS value. */
export function anyValue(v: Record<string, unknown> | undefined): unknown {
  if (v === undefined) return undefined;
  if ('stringValue' in v) return v['stringValue'];
  if ('boolValue' in v) return v['boolValue'];
  if ('intValue' in v) return v['intValue'];
  if ('doubleValue' in v) return v['doubleValue'];
  if ('arrayValue' in v) return ((v['arrayValue'] as { values?: Array<Record<string, unknown>> }).values ?? []).map(anyValue);
  if ('kvlistValue' in v) return attributes((v['kvlistValue'] as { values?: Array<Record<string, unknown>> }).values);
  return v['bytesValue'];
}

/** Repeated KeyValue as an object. */
export function attributes(kvs: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of (kvs as Array<{ key: string; value?: Record<string, unknown> }> | undefined) ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}
