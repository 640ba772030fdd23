import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';

// Built into ../build/web by `make` (scripts/web.sh build) and embedded in the kesu binary.
// `npm run dev` serves the UI with the API proxied to a running kesu (KESU_URL).
export default defineConfig({
  // Element Plus on demand: each <el-*> tag (and v-loading) used in a template imports that
  // component and its own CSS, so a page loads only the parts it shows. (Not under Vitest:
  // component tests install Element Plus whole, and Node cannot import the CSS.)
  plugins: [
    vue(),
    ...(process.env.VITEST ? [] : [Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false })]),
  ],
  base: '/',
  build: {
    outDir: '../build/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        // Vue and its router in one long-lived chunk; Element Plus parts and ECharts go
        // into the chunks of the routes that use them (ECharts only with the charts).
        manualChunks(id) {
          if (/node_modules\/(@vue|vue|vue-router)\//.test(id)) return 'vue';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': process.env.KESU_URL || 'http://127.0.0.1:8080',
      '/f/': process.env.KESU_URL || 'http://127.0.0.1:8080',
    },
  },
  test: {
    environment: 'node',
    include: ['tests/**/*.test.js'],
  },
});
