import { StatusPanel } from './StatusPanel';
import { VideoStage } from './VideoStage';

export function LiveView() {
  return (
    <div className="live">
      <VideoStage />
      <StatusPanel />
    </div>
  );
}
