// The administration pages: one route and one menu entry each, shown only to roles with the
// permission (the server checks every call again). All live under /admin (one client route
// in src/http/static.c).
export const ADMIN_PAGES = [
  { path: '/admin/users', name: 'admin-users', perm: 'users:manage', label: 'admin.nav.users', view: () => import('./views/admin/Users.vue') },
  { path: '/admin/teams', name: 'admin-teams', perm: 'config:read', label: 'admin.nav.teams', view: () => import('./views/admin/Teams.vue') },
  { path: '/admin/taxonomy', name: 'admin-taxonomy', perm: 'config:read', label: 'admin.nav.taxonomy', view: () => import('./views/admin/Taxonomy.vue') },
  { path: '/admin/routing', name: 'admin-routing', perm: 'config:read', label: 'admin.nav.routing', view: () => import('./views/admin/Routing.vue') },
  { path: '/admin/sla', name: 'admin-sla', perm: 'config:read', label: 'admin.nav.sla', view: () => import('./views/admin/Sla.vue') },
  { path: '/admin/alerts', name: 'admin-alerts', perm: 'alerts:manage', label: 'admin.nav.alerts', view: () => import('./views/admin/AlertRules.vue') },
  { path: '/admin/channels', name: 'admin-channels', perm: 'users:manage', label: 'admin.nav.channels', view: () => import('./views/admin/Channels.vue') },
  { path: '/admin/retention', name: 'admin-retention', perm: 'config:read', label: 'admin.nav.retention', view: () => import('./views/admin/Retention.vue') },
  { path: '/admin/audit', name: 'admin-audit', perm: 'audit:read', label: 'admin.nav.audit', view: () => import('./views/admin/Audit.vue') },
];

export const adminRoutes = ADMIN_PAGES.map((p) => ({ path: p.path, name: p.name, component: p.view, meta: { perm: p.perm } }));

export const adminMenu = (t) => ADMIN_PAGES.map((p) => ({ path: p.path, label: t(p.label), perm: p.perm }));
