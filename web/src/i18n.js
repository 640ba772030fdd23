// The UI's two languages: zh-CN (default) and en. t('inbox.title') looks up the current
// locale's message, {name} placeholders filled from params; missing keys show the key.
import { ref, computed } from 'vue';

const messages = {
  'zh-CN': {
    app: { name: 'kesu 客诉质量管理', short: '客诉' },
    nav: { home: '首页', inbox: '投诉列表', new: '新建投诉', dashboard: '数据看板', logout: '退出登录', menu: '菜单' },
    login: {
      title: '登录 kesu', username: '用户名', password: '密码', submit: '登录', key: 'API 密钥',
      byKey: '使用 API 密钥', byPassword: '账号密码', keySubmit: '使用密钥进入',
      failed: '用户名或密码不正确', keyFailed: 'API 密钥无效', noAccounts: '此服务器未启用账号登录，请使用 API 密钥。',
      required: '请填写此项',
    },
    home: {
      hello: '您好，{name}', role: '角色：{role}', mine: '我的待办', open: '未关闭', received: '待受理',
      overdue: 'SLA 超时', today: '今日新增', goInbox: '去处理', goNew: '录入投诉', goDashboard: '查看看板',
    },
    inbox: {
      title: '投诉列表', search: '全文搜索（空格分隔多个词）', filters: '筛选', reset: '重置', apply: '查询',
      channel: '渠道', status: '状态', category: '分类', severity: '严重度', sentiment: '情感',
      product: '商品', store: '门店', region: '区域', assignee: '处理人', team: '团队', range: '受理时间',
      from: '开始日期', to: '结束日期', id: '编号', received: '受理时间', text: '内容', total: '共 {n} 条',
      prev: '上一页', next: '下一页', page: '第 {n} 页', size: '每页', empty: '没有符合条件的投诉',
      pageSort: '排序仅对本页生效', export: '导出 CSV', sla: 'SLA',
      slaDue: '{target}截止 {due}', slaTarget: { acknowledgement: '受理', response: '首次响应', resolution: '解决' },
    },
    case: {
      title: '投诉 #{id}', back: '返回列表', customer: '客户', phone: '电话', email: '邮箱', product: '商品',
      order: '订单号', store: '门店', region: '区域', rating: '评分', segment: '客户分层', channel: '渠道',
      received: '受理时间', original: '原文', cleaned: '清洗后文本', category: '分类', severity: '严重度',
      sentiment: '情感', priority: '优先级', keywords: '关键词', duplicate: '重复于', repeats: '重复次数',
      timeline: '处理时间线', actions: '处理操作', moveTo: '流转到', note: '备注', save: '保存',
      assignee: '处理人', team: '团队', assign: '分派', change: '修改', source: '来源', confidence: '置信度',
      saved: '已保存', recourse: '向客户提供的补救措施', masked: '个人信息已脱敏', noClean: '（无清洗结果）',
      sla: 'SLA', status: '状态', none: '—', notFound: '没有这条投诉',
    },
    newCase: {
      title: '新建投诉', channel: '渠道', text: '投诉内容', titleField: '标题', customer: '客户姓名',
      phone: '联系电话', email: '邮箱', product: '商品', order: '订单号', store: '门店', region: '区域',
      rating: '满意度', received: '发生/受理时间', submit: '提交', reset: '清空', created: '已创建投诉 #{id}',
      existing: '该投诉已存在（#{id}）', phoneBad: '电话只能包含数字、空格和 + - ( )', emailBad: '邮箱格式不正确',
      textLong: '内容过长', required: '必填',
    },
    dash: {
      title: '数据看板', volume: '投诉量趋势', pareto: '问题分类帕累托', channels: '渠道构成',
      satisfaction: '满意度 CSAT / NPS', sla: 'SLA 达成率', heatmap: '星期 × 小时分布', range: '时间范围',
      missing: '暂无该统计接口', noData: '暂无数据', cumulative: '累计占比', count: '数量', drill: '点击图表可查看对应投诉',
      csat: 'CSAT', nps: 'NPS', responses: '回访样本', cases: '案件数', breached: '超时',
      weekdays: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
    },
    common: { loading: '加载中…', error: '出错了', retry: '重试', all: '全部', lang: 'English', cancel: '取消', confirm: '确定' },
    notFound: '页面不存在',
  },
  en: {
    app: { name: 'kesu complaint quality', short: 'kesu' },
    nav: { home: 'Home', inbox: 'Complaints', new: 'New complaint', dashboard: 'Dashboard', logout: 'Log out', menu: 'Menu' },
    login: {
      title: 'Log in to kesu', username: 'Username', password: 'Password', submit: 'Log in', key: 'API key',
      byKey: 'Use an API key', byPassword: 'Username and password', keySubmit: 'Enter with key',
      failed: 'Wrong username or password', keyFailed: 'The API key is not valid',
      noAccounts: 'This server has no user accounts enabled; use an API key.', required: 'Required',
    },
    home: {
      hello: 'Hello, {name}', role: 'Role: {role}', mine: 'My open cases', open: 'Open', received: 'New',
      overdue: 'SLA breached', today: 'Today', goInbox: 'Work the list', goNew: 'Enter a complaint', goDashboard: 'Dashboard',
    },
    inbox: {
      title: 'Complaints', search: 'Full-text search (space-separated words)', filters: 'Filters', reset: 'Reset',
      apply: 'Search', channel: 'Channel', status: 'Status', category: 'Category', severity: 'Severity',
      sentiment: 'Sentiment', product: 'Product', store: 'Store', region: 'Region', assignee: 'Assignee',
      team: 'Team', range: 'Received', from: 'From', to: 'To', id: 'ID', received: 'Received', text: 'Text',
      total: '{n} in all', prev: 'Previous', next: 'Next', page: 'Page {n}', size: 'Per page',
      empty: 'No complaints match', pageSort: 'Sorting applies to this page', export: 'Export CSV', sla: 'SLA',
      slaDue: '{target} due {due}', slaTarget: { acknowledgement: 'Acknowledgement', response: 'First response', resolution: 'Resolution' },
    },
    case: {
      title: 'Complaint #{id}', back: 'Back to list', customer: 'Customer', phone: 'Phone', email: 'E-mail',
      product: 'Product', order: 'Order', store: 'Store', region: 'Region', rating: 'Rating', segment: 'Segment',
      channel: 'Channel', received: 'Received', original: 'Original', cleaned: 'Cleaned text', category: 'Category',
      severity: 'Severity', sentiment: 'Sentiment', priority: 'Priority', keywords: 'Keywords',
      duplicate: 'Duplicate of', repeats: 'Repeats', timeline: 'Timeline', actions: 'Actions', moveTo: 'Move to',
      note: 'Note', save: 'Save', assignee: 'Assignee', team: 'Team', assign: 'Assign', change: 'Change',
      source: 'source', confidence: 'confidence', saved: 'Saved', recourse: 'Recourse offered to the customer',
      masked: 'Personal data masked', noClean: '(not cleaned)', sla: 'SLA', status: 'Status', none: '—',
      notFound: 'No such complaint',
    },
    newCase: {
      title: 'New complaint', channel: 'Channel', text: 'Complaint', titleField: 'Title', customer: 'Customer name',
      phone: 'Phone', email: 'E-mail', product: 'Product', order: 'Order no.', store: 'Store', region: 'Region',
      rating: 'Rating', received: 'Received at', submit: 'Submit', reset: 'Clear', created: 'Created complaint #{id}',
      existing: 'Already stored (#{id})', phoneBad: 'Digits, spaces and + - ( ) only', emailBad: 'Not an e-mail address',
      textLong: 'Too long', required: 'Required',
    },
    dash: {
      title: 'Dashboard', volume: 'Volume', pareto: 'Category Pareto', channels: 'Channel mix',
      satisfaction: 'CSAT / NPS', sla: 'SLA compliance', heatmap: 'Weekday × hour', range: 'Period',
      missing: 'This statistic is not available on this server', noData: 'No data', cumulative: 'Cumulative share',
      count: 'Count', drill: 'Click a chart to see its complaints', csat: 'CSAT', nps: 'NPS',
      responses: 'Responses', cases: 'Cases', breached: 'Breached',
      weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
    },
    common: { loading: 'Loading…', error: 'Something went wrong', retry: 'Retry', all: 'All', lang: '中文', cancel: 'Cancel', confirm: 'OK' },
    notFound: 'Page not found',
  },
};

function initial() {
  try {
    const v = localStorage.getItem('kesu.locale');
    if (v === 'en' || v === 'zh-CN') return v;
  } catch {
    /* no storage */
  }
  return 'zh-CN';
}

export const locale = ref(initial());
export const isEn = computed(() => locale.value === 'en');

export function setLocale(l) {
  locale.value = l === 'en' ? 'en' : 'zh-CN';
  try {
    localStorage.setItem('kesu.locale', locale.value);
  } catch {
    /* no storage */
  }
  document.documentElement.lang = locale.value;
}

export function t(key, params) {
  let v = key.split('.').reduce((o, k) => (o == null ? o : o[k]), messages[locale.value]);
  if (v === undefined) return key;
  if (typeof v === 'string' && params)
    v = v.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return v;
}

export { messages };

// The operations pages' texts (alerts, CAPA, reports, the case page's casework panels).
import opsMessages from './i18n-ops.js';
for (const l of Object.keys(opsMessages))
  for (const [k, v] of Object.entries(opsMessages[l])) messages[l][k] = { ...messages[l][k], ...v };
