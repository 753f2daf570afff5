import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { StaffApp } from './StaffApp';
import '../styles.css';
import './staff.css';

/** The support inbox page (staff/index.html), served by the gateway at /staff/. */
const container = document.getElementById('root');

if (container) {
  createRoot(container).render(
    <StrictMode>
      <StaffApp />
    </StrictMode>,
  );
}
