/**
 * Lineage queries over the replica (issue 3), one module per question:
 *
 *   lineage/values.ts  inputs/outputs of runs, code, previous run, run pickers
 *   lineage/trace.ts   upstream and downstream traces of a value (recursive CTEs)
 *   lineage/graph.ts   the component graph of a notebook
 *   lineage/review.ts  runs shared by flagged outputs (mltrace's review)
 *   history.ts         a component's runs over time
 *   staleness.ts       what is stale in a notebook, and why
 *   console.ts         the read-only SQL console
 *
 * The UI imports from here.
 */
export { codeOfRun, componentInfo, componentOfRun, ioById, ioOfRun, previousRun, runRefs } from './values';
export type { IComponentInfo, IoDirection, IoKind, IRunRef, IValueRow } from './values';
export { traceDownstream, traceUpstream } from './trace';
export type { ITrace, ITraceEdge, ITraceNode, ITraceOptions } from './trace';
export { componentGraph } from './graph';
export type { IGraphEdge, IGraphNode } from './graph';
export { reviewFlagged } from './review';
export type { IReviewRow } from './review';
export { componentHistory } from './history';
export type { IHistoryRow } from './history';
export { staleness, upstreamNotebooks } from './staleness';
export type { ICell, IStalenessOptions, StaleReason } from './staleness';
export { readOnlyQuery } from './console';
export type { IQueryResult } from './console';
