import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// Built into ../build/web by `make` (scripts/web.sh build) and embedded in the kesu binary.
// `npm run dev` serves the UI with the API proxied to a running kesu (KESU_URL).
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: '../build/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender'))
            return 'echarts';
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus'))
            return 'element-plus';
          if (id.includes('node_modules/')) return 'vendor';
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
