import { ROUTES, useRoute } from '../routes';
import './nav.css';

/** The pages, as links: keyboard operable as they are, the current one marked for screen readers. */
export function NavBar() {
  const route = useRoute();
  return (
    <nav className="nav" aria-label="Pages">
      <ul className="nav-list">
        {ROUTES.map((entry) => (
          <li key={entry.route}>
            <a
              className="nav-link"
              href={entry.hash}
              aria-current={entry.route === route ? 'page' : undefined}
            >
              {entry.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
