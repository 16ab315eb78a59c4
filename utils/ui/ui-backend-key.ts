import { inject, type InjectionKey } from 'vue';
import type { UiBackend } from './ui-backend';

/** Kept apart from ui-backend.ts so components name the backend's type without loading it. */
export const UI_BACKEND_KEY: InjectionKey<UiBackend> = Symbol('ui-backend');

/** The backend the page's root component provides (the real one, or a fake in tests). */
export function useUiBackend(): UiBackend {
  const backend = inject(UI_BACKEND_KEY);
  if (!backend) throw new Error('useUiBackend() needs the page to provide UI_BACKEND_KEY');
  return backend;
}
