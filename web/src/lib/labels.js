// Display names of the API's enumerations, in zh-CN and en. Unknown values show as they are.
export const CHANNELS = ['web', 'qr', 'app', 'email', 'hotline', 'sms', 'store', 'survey',
  'ecommerce', 'social', 'partner', 'employee', 'association', 'iot', 'other'];
export const STATUSES = ['received', 'acknowledged', 'assessed', 'assigned', 'investigating',
  'pending_customer', 'pending_third_party', 'responded', 'closed', 'closed_unaccepted',
  'reopened'];
export const OPEN_STATUSES = STATUSES.filter((s) => !s.startsWith('closed'));
export const SEVERITIES = ['low', 'medium', 'high', 'critical'];
export const SENTIMENTS = ['negative', 'neutral', 'positive'];
export const PRIORITIES = ['p1', 'p2', 'p3', 'p4'];
// SLA states of the list filter (GET /api/v1/feedback?sla=), one per case from its SLA clock
export const SLA_STATES = ['ok', 'warning', 'breached', 'paused', 'none'];

const zh = {
  channel: { web: '网站', qr: '扫码表单', app: 'App', email: '邮件', hotline: '热线', sms: '短信',
    store: '门店', survey: '问卷', ecommerce: '电商平台', social: '社交媒体', partner: '合作方',
    employee: '员工上报', association: '消协/监管', iot: '设备', other: '其他' },
  status: { received: '已受理', acknowledged: '已确认', assessed: '已评估', assigned: '已分派',
    investigating: '处理中', pending_customer: '待客户补充', pending_third_party: '待第三方',
    responded: '已答复', closed: '已关闭', closed_unaccepted: '关闭(客户未认可)', reopened: '已重开' },
  severity: { low: '低', medium: '中', high: '高', critical: '严重' },
  sentiment: { negative: '负面', neutral: '中性', positive: '正面' },
  priority: { p1: 'P1 紧急', p2: 'P2 高', p3: 'P3 中', p4: 'P4 低' },
  sla: { ok: '正常', warning: '即将超时', breached: '已超时', paused: '已暂停（等待中）', none: '无 SLA' },
};
const en = {
  channel: { web: 'Web', qr: 'QR form', app: 'App', email: 'E-mail', hotline: 'Hotline', sms: 'SMS',
    store: 'Store', survey: 'Survey', ecommerce: 'E-commerce', social: 'Social', partner: 'Partner',
    employee: 'Employee', association: 'Consumer assoc.', iot: 'Device', other: 'Other' },
  status: { received: 'Received', acknowledged: 'Acknowledged', assessed: 'Assessed',
    assigned: 'Assigned', investigating: 'Investigating', pending_customer: 'Waiting on customer',
    pending_third_party: 'Waiting on third party', responded: 'Responded', closed: 'Closed',
    closed_unaccepted: 'Closed (not accepted)', reopened: 'Reopened' },
  severity: { low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' },
  sentiment: { negative: 'Negative', neutral: 'Neutral', positive: 'Positive' },
  priority: { p1: 'P1 urgent', p2: 'P2 high', p3: 'P3 medium', p4: 'P4 low' },
  sla: { ok: 'On track', warning: 'Due soon', breached: 'Breached', paused: 'Paused (waiting)', none: 'No SLA' },
};

export function label(locale, kind, value) {
  if (value === null || value === undefined || value === '') return '';
  const m = (locale === 'en' ? en : zh)[kind];
  return (m && m[value]) || String(value);
}

export const SEVERITY_TAG = { low: 'info', medium: 'warning', high: 'danger', critical: 'danger' };
export const SENTIMENT_TAG = { negative: 'danger', neutral: 'info', positive: 'success' };
export function statusTag(s) {
  if (!s) return 'info';
  if (s.startsWith('closed')) return 'info';
  if (s === 'received' || s === 'reopened') return 'danger';
  if (s === 'responded') return 'success';
  return 'warning';
}
