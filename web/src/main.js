import { createApp } from 'vue';
// Element Plus components are imported where a template uses them (unplugin-vue-components,
// vite.config.js); the styles of those called from code (ElMessage, ElMessageBox) come here.
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import './style.css';
import App from './App.vue';
import { router } from './router.js';
import { setUnauthorizedHandler } from './api.js';
import { auth } from './auth.js';
import { locale } from './i18n.js';
import './i18n-admin.js';

// performance marks (read by bench/web_list.mjs): the app's modules loaded and evaluated
performance.mark('kesu:main');
document.documentElement.lang = locale.value;
setUnauthorizedHandler(() => {
  auth.user = null;
  if (router.currentRoute.value.name !== 'login')
    router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } });
});

createApp(App).use(router).mount('#app');
