// The protocol layer's public surface: envelope codec, position stream, errors, the generated types.
export * from './errors.ts';
export { decodeEnvelope, encodeEnvelope, unpackEnvelope, PROTOCOL_VERSION, ENVELOPE_IDENTIFIER } from './envelope/codec.ts';
export type { HlcStamp, OutgoingEnvelope } from './envelope/codec.ts';
export { payloadTypeOf, type PayloadT } from './envelope/payload-type.ts';
export { PositionStreamEncoder, type PositionEncoderOptions, type PositionSnapshot } from './position/encoder.ts';
export { decodeFrame, isPositionFrame, type PositionFrame } from './position/decoder.ts';
export { applyFrame, forEachEntry } from './position/apply.ts';
export { PositionStreamReader, type ReadStatus } from './position/reader.ts';
export { idTablePayload, keyframeRequestPayload, type IdTableFacets } from './position/id-table.ts';
export { quantisationErrorBound } from './position/quantise.ts';
export { wireKind, type WireKind } from './wire-kind.ts';
// The generated tables, object-API classes and enums (the same binding through two files is fine).
export * from './generated/agent_generated.ts';
export * from './generated/cluster_generated.ts';
export * from './generated/common_generated.ts';
export * from './generated/drag_generated.ts';
export * from './generated/envelope_generated.ts';
export * from './generated/error_generated.ts';
export * from './generated/graph_generated.ts';
export * from './generated/position_generated.ts';
export * from './generated/session_generated.ts';
export * from './generated/settings_generated.ts';
export * from './generated/sssp_generated.ts';
export * from './generated/voice_generated.ts';
