import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { DEFAULT_API_BASE } from './api';
import { App } from './App';
import './styles.css';

/**
 * Mounts into <div id="fte-support" data-api-base="https://support.example.com">
 * when a company embeds the widget in its own page, else into #root (the
 * standalone page served by the gateway, same-origin API).
 */
const embedHost = document.getElementById('fte-support');
const container = embedHost ?? document.getElementById('root');

if (container) {
  const apiBase = embedHost?.dataset.apiBase?.trim() || DEFAULT_API_BASE;
  createRoot(container).render(
    <StrictMode>
      <App apiBase={apiBase} embedded={embedHost !== null} />
    </StrictMode>,
  );
}
