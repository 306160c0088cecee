export { collectSamples, readHistorySamples } from './history-samples';
export { buildReportModel } from './report-model';
export type {
  AnalysisSample,
  HistorySamples,
  ReportModel,
  SignalSample,
  WeightSample,
} from './report-model';
export { renderReport, timelineMarks } from './render-report';
export { escapeXml, metricChart, weightChart } from './svg-charts';
export type { TimeAxis, TimelineMark } from './svg-charts';
