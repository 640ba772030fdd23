import { createApp } from 'vue';
import ElementPlus from 'element-plus';
import 'element-plus/dist/index.css';
import './style.css';
import App from './App.vue';
import { router } from './router.js';
import { setUnauthorizedHandler } from './api.js';
import { auth } from './auth.js';
import { locale } from './i18n.js';
import './i18n-admin.js';

document.documentElement.lang = locale.value;
setUnauthorizedHandler(() => {
  auth.user = null;
  if (router.currentRoute.value.name !== 'login')
    router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } });
});

createApp(App).use(ElementPlus).use(router).mount('#app');
