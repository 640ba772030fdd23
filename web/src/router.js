// A new top-level path must also be added to client_routes in src/http/static.c, which
// answers it with index.html (a reload or a shared link lands there).
import { createRouter, createWebHistory } from 'vue-router';
import { auth, restore, can } from './auth.js';
import { adminRoutes } from './router-admin.js';

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/Login.vue'), meta: { public: true } },
  { path: '/', name: 'home', component: () => import('./views/Home.vue') },
  { path: '/inbox', name: 'inbox', component: () => import('./views/Inbox.vue'), meta: { perm: 'feedback:read' } },
  { path: '/cases/new', name: 'new', component: () => import('./views/NewCase.vue'), meta: { perm: 'feedback:create' } },
  { path: '/cases/:id(\\d+)', name: 'case', component: () => import('./views/CaseDetail.vue'), meta: { perm: 'feedback:read' } },
  { path: '/dashboard', name: 'dashboard', component: () => import('./views/Dashboard.vue'), meta: { perm: 'stats:read' } },
  { path: '/alerts', name: 'alerts', component: () => import('./views/Alerts.vue'), meta: { perm: 'alerts:read' } },
  { path: '/capa', name: 'capa', component: () => import('./views/Capa.vue'), meta: { perm: 'capa:read' } },
  { path: '/reports', name: 'reports', component: () => import('./views/Reports.vue'), meta: { perm: 'reports:read' } },
  ...adminRoutes,
  { path: '/:rest(.*)*', name: 'notfound', component: () => import('./views/NotFound.vue'), meta: { public: true } },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  // the page's code starts loading while the session is checked, not after
  for (const r of to.matched) {
    const c = r.components && r.components.default;
    if (typeof c === 'function' && !('displayName' in c) && !('props' in c)) c().catch(() => {});
  }
  await restore();
  if (to.meta.public) return true;
  if (!auth.user) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  if (to.meta.perm && !can(to.meta.perm)) return { name: 'home' };
  return true;
});
