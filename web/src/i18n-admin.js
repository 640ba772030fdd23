// Texts of the administration pages and of the inbox's views, bulk actions and export, merged
// into i18n.js's messages (zh-CN first, en) when the app starts.
import { messages } from './i18n.js';

const zh = {
  nav: {
    users: '用户与角色', teams: '团队与值班', taxonomy: '分类体系', routing: '分派规则', sla: 'SLA 策略',
    alerts: '预警规则', channels: '渠道与密钥', audit: '审计日志', retention: '数据保留',
  },
  common: {
    add: '新增', edit: '编辑', save: '保存', delete: '删除', cancel: '取消', name: '名称', actions: '操作',
    enabled: '启用', yes: '是', no: '否', saved: '已保存', deleted: '已删除', confirmDelete: '确定删除？',
    refresh: '刷新', up: '上移', down: '下移', none: '无', created: '创建时间',
  },
  users: {
    title: '用户与角色', users: '用户', roles: '角色', username: '用户名', display: '显示名', role: '角色',
    email: '邮箱', password: '初始密码', status: '状态', active: '正常', disabled: '已停用', locked: '已锁定',
    disable: '停用', enable: '启用', unlock: '解锁', newUser: '新建用户', newRole: '新建自定义角色',
    scope: '数据范围', permissions: '权限', builtin: '内置', custom: '自定义', teams: '团队', description: '说明',
    scopes: { all: '全部', teams: '本团队', own: '本人', none: '无' },
  },
  teams: {
    title: '团队与值班', team: '团队', display: '显示名', supervisor: '主管', mode: '分派方式', open: '未关闭',
    members: '成员', onDuty: '在岗', addMember: '添加成员', remove: '移出', newTeam: '新建团队',
    modes: { round_robin: '轮询', least_open: '最少未结' },
  },
  taxonomy: {
    title: '分类体系', addRoot: '新增一级分类', addChild: '新增子分类', rename: '重命名', rules: '关键词规则',
    pick: '请选择左侧的分类', any: '任一词（逗号分隔）', all: '全部词', none: '排除词', regex: '正则',
    priority: '优先级', confidence: '置信度', addRule: '新增规则', dirty: '有未保存的修改', saveAll: '保存分类体系',
    ruleCount: '{n} 条规则', newName: '分类名称',
  },
  routing: {
    title: '分派规则', mode: '匹配方式', modes: { first: '首条命中', all: '全部命中依次应用' }, position: '顺序',
    when: '条件', then: '动作', channel: '渠道', category: '分类', product: '商品', region: '区域', severity: '严重度',
    segment: '客户分层', keywords: '关键词', team: '团队', priority: '优先级', policy: 'SLA 策略', tags: '标签',
    newRule: '新增规则', listHint: '多个值用逗号分隔',
  },
  sla: {
    title: 'SLA 策略与日历', policies: 'SLA 策略', calendars: '工作日历', priority: '优先级', category: '分类',
    segment: '客户分层', calendar: '日历', ack: '确认时限', response: '首次答复', resolve: '解决时限',
    warn: '预警比例', newPolicy: '新增策略', newCalendar: '新增日历', offset: 'UTC 偏移', weekdays: '工作日',
    hours: '工作时段', holidays: '节假日', workdays: '调休上班日', durHint: '如 30m、4h、2d（1d = 8 工作小时）',
    builtinCal: '内置日历：cn-2026、24x7',
  },
  alerts: {
    title: '预警规则与接收方', rules: '预警规则', receivers: '接收方', kind: '类型', dimensions: '维度',
    params: '参数 (JSON)', receiverIds: '接收方', url: '地址', secret: '签名密钥', newRule: '新增预警规则',
    newReceiver: '新增接收方', allReceivers: '全部启用的接收方',
  },
  channels: {
    title: '渠道与 API 密钥', keys: 'API 密钥', prefix: '前缀', scopes: '权限范围', expires: '有效期（天）',
    expiresAt: '到期', revoked: '已吊销', revoke: '吊销', newKey: '创建密钥', shownOnce: '密钥只显示这一次，请立即保存：',
    forms: '公开反馈表单', form: '表单', store: '门店', product: '商品', link: '链接', qr: '二维码',
    downloadPng: '下载 PNG', downloadSvg: '下载 SVG', copy: '复制', copied: '已复制', scopeHint: '如 feedback:create,feedback:read 或 role:agent',
  },
  audit: {
    title: '审计日志', verify: '校验哈希链', intact: '哈希链完整：{n} 条记录', broken: '哈希链被篡改：', head: '链头',
    at: '时间', actor: '操作者', origin: '来源', action: '动作', object: '对象', detail: '详情', more: '加载更多',
    fromId: '从编号',
  },
  inbox: {
    views: '保存的视图', saveView: '保存当前视图', viewName: '视图名称', noViews: '暂无保存的视图',
    bulk: '批量操作（已选 {n} 条）', assign: '分派', transfer: '转派', merge: '合并', changeCategory: '改分类',
    assignee: '处理人', team: '团队', reason: '原因', note: '备注', into: '保留的案件', category: '分类',
    done: '完成：成功 {ok} 条，失败 {failed} 条', exportXlsx: '导出 Excel', exportAll: '导出全部 CSV',
    anyCategory: '全部分类', sla: 'SLA 状态', sort: '排序', priority: '优先级', clearSelection: '取消选择',
    pick: '选择投诉 #{id}', pickAll: '选择本页全部',
    sorts: {
      '-received_at': '按受理时间（最新在前）', received_at: '按受理时间（最早在前）',
      '-severity': '按严重度（最高在前）', severity: '按严重度（最低在前）',
      '-priority': '按优先级（最紧急在前）', priority: '按优先级（最不紧急在前）',
    },
  },
  retention: {
    title: '数据保留', intro: '按数据类别设置保留期限：到期后由服务端按计划自动处理，每次处理都记入审计日志。留空表示永久保留。',
    classes: {
      closed_complaints: '已关闭投诉', pii: '个人信息', audit: '审计日志', archive_after: '移入冷归档', every: '执行频率',
    },
    hints: {
      closed_complaints: '关闭后满此期限删除记录（统计数字保留）', pii: '关闭后满此期限抹去个人信息',
      audit: '早于此期限的审计条目删除（哈希链从锚点起仍可校验）', archive_after: '关闭后满此期限移入冷归档文件',
      every: '服务端多久执行一次以上规则',
    },
    forever: '永久保留', noSchedule: '不自动执行', amount: '数量', unit: '单位',
    units: { h: '小时', d: '天', w: '周', m: '月（30 天）', y: '年（365 天）' },
    save: '保存设置', saved: '已保存，立即生效', schedule: '执行情况', nextRun: '下次执行', lastRun: '上次执行',
    never: '尚未执行（自本次启动）', running: '正在执行…', queued: '已排队', runNow: '立即执行',
    runConfirm: '立即按当前设置删除、抹去或归档到期数据？此操作不可撤销。', runQueued: '已开始执行',
    by: '执行者', result: '结果', ok: '成功', failed: '失败',
    counts: '抹去个人信息 {pii} 条，删除 {deleted} 条（因被引用保留 {kept} 条），归档 {archived} 条，删除审计条目 {audit} 条',
    readOnly: '只读：修改需要配置管理权限',
  },
};

const en = {
  nav: {
    users: 'Users & roles', teams: 'Teams & duty', taxonomy: 'Taxonomy', routing: 'Routing rules', sla: 'SLA policies',
    alerts: 'Alert rules', channels: 'Channels & keys', audit: 'Audit log', retention: 'Data retention',
  },
  common: {
    add: 'Add', edit: 'Edit', save: 'Save', delete: 'Delete', cancel: 'Cancel', name: 'Name', actions: 'Actions',
    enabled: 'Enabled', yes: 'Yes', no: 'No', saved: 'Saved', deleted: 'Deleted', confirmDelete: 'Delete this?',
    refresh: 'Refresh', up: 'Up', down: 'Down', none: 'None', created: 'Created',
  },
  users: {
    title: 'Users and roles', users: 'Users', roles: 'Roles', username: 'User name', display: 'Display name', role: 'Role',
    email: 'E-mail', password: 'Initial password', status: 'Status', active: 'Active', disabled: 'Disabled', locked: 'Locked',
    disable: 'Disable', enable: 'Enable', unlock: 'Unlock', newUser: 'New user', newRole: 'New custom role',
    scope: 'Data scope', permissions: 'Permissions', builtin: 'Built in', custom: 'Custom', teams: 'Teams', description: 'Description',
    scopes: { all: 'All', teams: 'Own teams', own: 'Own', none: 'None' },
  },
  teams: {
    title: 'Teams and duty', team: 'Team', display: 'Display name', supervisor: 'Supervisor', mode: 'Assignment', open: 'Open',
    members: 'Members', onDuty: 'On duty', addMember: 'Add member', remove: 'Remove', newTeam: 'New team',
    modes: { round_robin: 'Round robin', least_open: 'Least open' },
  },
  taxonomy: {
    title: 'Taxonomy', addRoot: 'Add top-level category', addChild: 'Add subcategory', rename: 'Rename', rules: 'Keyword rules',
    pick: 'Pick a category on the left', any: 'Any term (comma separated)', all: 'All terms', none: 'Excluded terms', regex: 'Regex',
    priority: 'Priority', confidence: 'Confidence', addRule: 'Add rule', dirty: 'Unsaved changes', saveAll: 'Save taxonomy',
    ruleCount: '{n} rules', newName: 'Category name',
  },
  routing: {
    title: 'Routing rules', mode: 'Mode', modes: { first: 'First match', all: 'All matches in order' }, position: 'Order',
    when: 'When', then: 'Then', channel: 'Channel', category: 'Category', product: 'Product', region: 'Region', severity: 'Severity',
    segment: 'Segment', keywords: 'Keywords', team: 'Team', priority: 'Priority', policy: 'SLA policy', tags: 'Tags',
    newRule: 'New rule', listHint: 'Several values separated by commas',
  },
  sla: {
    title: 'SLA policies and calendars', policies: 'SLA policies', calendars: 'Calendars', priority: 'Priority', category: 'Category',
    segment: 'Segment', calendar: 'Calendar', ack: 'Acknowledge', response: 'First response', resolve: 'Resolve',
    warn: 'Warn at', newPolicy: 'New policy', newCalendar: 'New calendar', offset: 'UTC offset', weekdays: 'Weekdays',
    hours: 'Working hours', holidays: 'Holidays', workdays: 'Adjusted working days', durHint: 'e.g. 30m, 4h, 2d (1d = 8 working hours)',
    builtinCal: 'Built in: cn-2026, 24x7',
  },
  alerts: {
    title: 'Alert rules and receivers', rules: 'Alert rules', receivers: 'Receivers', kind: 'Kind', dimensions: 'Dimensions',
    params: 'Parameters (JSON)', receiverIds: 'Receivers', url: 'URL', secret: 'Signing secret', newRule: 'New alert rule',
    newReceiver: 'New receiver', allReceivers: 'every enabled receiver',
  },
  channels: {
    title: 'Channels and API keys', keys: 'API keys', prefix: 'Prefix', scopes: 'Scopes', expires: 'Expires in (days)',
    expiresAt: 'Expires', revoked: 'Revoked', revoke: 'Revoke', newKey: 'Create key', shownOnce: 'The key is shown this once; keep it now:',
    forms: 'Public feedback form', form: 'Form', store: 'Store', product: 'Product', link: 'Link', qr: 'QR code',
    downloadPng: 'Download PNG', downloadSvg: 'Download SVG', copy: 'Copy', copied: 'Copied', scopeHint: 'e.g. feedback:create,feedback:read or role:agent',
  },
  audit: {
    title: 'Audit log', verify: 'Verify the hash chain', intact: 'Chain intact: {n} entries', broken: 'Chain tampered: ', head: 'Head',
    at: 'Time', actor: 'Actor', origin: 'Origin', action: 'Action', object: 'Object', detail: 'Detail', more: 'Load more',
    fromId: 'From id',
  },
  inbox: {
    views: 'Saved views', saveView: 'Save this view', viewName: 'View name', noViews: 'No saved views',
    bulk: 'Bulk actions ({n} selected)', assign: 'Assign', transfer: 'Transfer', merge: 'Merge', changeCategory: 'Change category',
    assignee: 'Assignee', team: 'Team', reason: 'Reason', note: 'Note', into: 'Case kept', category: 'Category',
    done: 'Done: {ok} succeeded, {failed} failed', exportXlsx: 'Export Excel', exportAll: 'Export all as CSV',
    anyCategory: 'Any category', sla: 'SLA state', sort: 'Sort', priority: 'Priority', clearSelection: 'Clear selection',
    pick: 'Select complaint #{id}', pickAll: 'Select all on this page',
    sorts: {
      '-received_at': 'Received, newest first', received_at: 'Received, oldest first',
      '-severity': 'Severity, highest first', severity: 'Severity, lowest first',
      '-priority': 'Priority, most urgent first', priority: 'Priority, least urgent first',
    },
  },
  retention: {
    title: 'Data retention', intro: 'How long each class of data is kept: the server applies these on its schedule and audits every run. Leave blank to keep for ever.',
    classes: {
      closed_complaints: 'Closed complaints', pii: 'Personal data', audit: 'Audit log', archive_after: 'Move to cold archive', every: 'Run every',
    },
    hints: {
      closed_complaints: 'records deleted this long after closure (statistics counts stay)', pii: 'personal data erased this long after closure',
      audit: 'audit entries older than this removed (the chain verifies from an anchor)', archive_after: 'closed records moved to archive files this long after closure',
      every: 'how often the server applies the rules above',
    },
    forever: 'Keep for ever', noSchedule: 'No schedule', amount: 'Amount', unit: 'Unit',
    units: { h: 'hours', d: 'days', w: 'weeks', m: 'months (30 days)', y: 'years (365 days)' },
    save: 'Save settings', saved: 'Saved, in force now', schedule: 'Schedule', nextRun: 'Next run', lastRun: 'Last run',
    never: 'Not run yet (since the server started)', running: 'Running…', queued: 'Queued', runNow: 'Run now',
    runConfirm: 'Delete, erase or archive the data due under the current settings now? This cannot be undone.', runQueued: 'Run started',
    by: 'By', result: 'Result', ok: 'Succeeded', failed: 'Failed',
    counts: 'personal data erased from {pii}, {deleted} deleted ({kept} kept: referenced), {archived} archived, {audit} audit entries removed',
    readOnly: 'Read only: changing needs configuration management',
  },
};

messages['zh-CN'].admin = zh;
messages.en.admin = en;
