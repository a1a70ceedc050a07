// The trace row types live with the trace core (src/trace/report.ts); this path stays for the public API's export.
export type { TraceLayerSummary, TraceReportLike } from '../trace/report.js';
