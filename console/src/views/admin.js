// Administration: users, groups, folder permissions (web service) and
// folders (management server). The navigation offers it to administrators
// only; anyone else who opens it gets the server's 403, shown as such.
import { html } from '../ui.js';
import { Users } from './admin_users.js';
import { Groups } from './admin_groups.js';
import { Permissions } from './admin_perms.js';
import { Folders } from './admin_folders.js';

const SECTIONS = [['users', 'Users', Users], ['groups', 'Groups', Groups],
    ['permissions', 'Folder permissions', Permissions], ['folders', 'Folders', Folders]];

export function Admin({ section = 'users' }) {
    const found = SECTIONS.find(([key]) => key === section) || SECTIONS[0];
    const View = found[2];
    return html`<section class="admin">
  <h1>Administration</h1>
  <nav class="tabs" aria-label="administration">
    ${SECTIONS.map(([key, label]) => html`<a href=${'#/admin/' + key} class=${key === found[0] ? 'active' : ''}
        aria-current=${key === found[0] ? 'page' : undefined}>${label}</a>`)}
  </nav>
  <${View} key=${found[0]} />
</section>`;
}
