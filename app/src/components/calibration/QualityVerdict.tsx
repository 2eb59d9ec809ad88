import type { Verdict } from '../../calibration/verdict';

/**
 * The server's verdict, plainly: a coloured title that says whether it worked (never green for a
 * poor one), the server's reason, what it means now, and advice for another try.
 */
export function QualityVerdict({ verdict, testId }: { verdict: Verdict; testId: string }) {
  return (
    <div
      className={`verdict verdict-${verdict.tone}`}
      data-testid={testId}
      data-quality={verdict.tone}
      role={verdict.tone === 'poor' ? 'alert' : 'status'}
    >
      <p className="verdict-title">{verdict.title}</p>
      {verdict.reason !== '' && <p data-testid={`${testId}-reason`}>{verdict.reason}</p>}
      {verdict.note !== null && <p>{verdict.note}</p>}
      {verdict.advice.length > 0 && (
        <div className="verdict-advice">
          <p>For a better result:</p>
          <ul>
            {verdict.advice.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
