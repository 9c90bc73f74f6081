import { defineLookup } from './definition.js';

/** Directory objects that configuration refers to by id; files name them instead. */
export const lookups = [
  defineLookup({
    type: 'groups',
    title: 'Groups',
    api: 'v1.0',
    path: '/groups',
    nameField: 'displayName',
    permissions: { read: 'GroupMember.Read.All' },
  }),
  defineLookup({
    type: 'users',
    title: 'Users',
    api: 'v1.0',
    path: '/users',
    nameField: 'userPrincipalName',
    permissions: { read: 'User.Read.All' },
  }),
];
