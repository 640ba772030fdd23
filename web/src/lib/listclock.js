// The complaint list's SLA badges: one clock for the whole page (not one timer per row),
// ticking every 30 s while a badge counts down, stopped when none does and on unmount.
import { computed, onBeforeUnmount, ref, watch } from 'vue';
import { locale } from '../i18n.js';
import { listBadges, listTick } from './sla.js';

/* items and sla are refs (the page and its id → clock map); returns a computed id → badge. */
export function useListBadges(items, sla) {
  const now = ref(Date.now());
  let timer = 0;
  const badges = computed(() => listBadges(items.value, sla.value, now.value, locale.value));
  watch(sla, () => (now.value = Date.now()));
  watch(
    () => listTick(badges.value),
    (ms) => {
      clearInterval(timer);
      timer = ms ? setInterval(() => (now.value = Date.now()), ms) : 0;
    },
    { immediate: true },
  );
  onBeforeUnmount(() => clearInterval(timer));
  return badges;
}
