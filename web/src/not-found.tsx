import { BASE } from './links.ts';

export function NotFound() {
  return (
    <div class="notice empty">
      <h1>No such page</h1>
      <p>This address is not a page of the dashboard. <a href={BASE}>Go to the overview</a>.</p>
    </div>
  );
}
