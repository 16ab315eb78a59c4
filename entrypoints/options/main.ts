import { createApp } from 'vue';
import App from './App.vue';
import { createUiBackend } from '@/utils/ui/ui-backend';

createApp(App, { backend: createUiBackend() }).mount('#app');
